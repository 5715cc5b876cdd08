import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { ConfigError, META, Peer, ProxyErrorCode, silentLogger, type Channel } from '@mcproxy/core';
import { afterEach, describe, expect, it } from 'vitest';
import { logText, modernClient, recordingLogger, settle, startFixtureHttpServer, Teardown, textOf, until, type LogLine } from '@mcproxy/testing';
import { startSdkSseServer, type SdkSseServer } from '../test/sdk-sse-server.js';
import { buildUpstream, proxyTo, serveProxy, type WaitLog } from '../test/setup.js';
import { urlUpstream } from './index.js';

const t = new Teardown();
afterEach(() => t.run());

async function sdkSseServer(): Promise<SdkSseServer> {
  const waits: WaitLog = { entered: 0, cancelled: 0, closed: 0 };
  const up = await startSdkSseServer(() => buildUpstream(waits));
  t.add(() => up.close());
  return up;
}

async function streamableServer() {
  const up = await startFixtureHttpServer();
  t.add(() => up.close());
  return up;
}

/** A server that answers every request with `status`; counts them by method. */
async function answering(status: number): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(req.method ?? '');
    req.resume();
    res.writeHead(status, { 'content-type': 'text/plain' }).end('no');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.add(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, seen };
}

const chosen = (lines: LogLine[]) =>
  lines.filter((l) => l.level === 'info' && l.msg?.startsWith('the upstream speaks') === true).map((l) => (l.obj as { transport: string }).transport);

describe('urlUpstream with transport: auto', () => {
  it('chooses Streamable HTTP for a Streamable HTTP server, logs it once and keeps to it', async () => {
    const up = await streamableServer();
    const log = recordingLogger();
    const { client } = proxyTo(t, urlUpstream({ url: up.url, log }));
    const a = await client();
    expect(textOf(await a.callTool({ name: 'test_simple_text', arguments: {} }))).toBe('This is a simple text response for testing.');
    const b = await client();
    await b.listTools();
    expect(up.sessionCount()).toBe(2);
    expect(chosen(log.lines)).toEqual(['streamable-http']);
  });

  it("falls back to HTTP+SSE when the server answers the POST with 404 (the SDK's SSE server), sending initialize once", async () => {
    const up = await sdkSseServer();
    const log = recordingLogger();
    const { client } = proxyTo(t, urlUpstream({ url: up.url, headers: { Authorization: 'Bearer s3cret-token' }, log }));
    const a = await client('client A');
    expect(textOf(await a.callTool({ name: 'test_sampling', arguments: { prompt: 'old' } }))).toBe('LLM response: client A read "old"');
    expect(up.seen.slice(0, 3).map((s) => `${s.method} ${s.path} ${s.status ?? ''}`)).toEqual(['POST /sse 404', 'GET /sse 200', 'POST /messages 202']);
    // The refused POST reached no session: the server's one initialize is the one sent over SSE.
    expect(up.seen.filter((s) => s.path === '/messages' && s.rpc === 'initialize')).toHaveLength(1);
    // A second link goes straight to SSE.
    const b = await client('client B');
    await b.listTools();
    expect(up.seen.filter((s) => s.method === 'POST' && s.path === '/sse')).toHaveLength(1);
    expect(up.seen.filter((s) => s.method === 'GET')).toHaveLength(2);
    expect(up.sessions.size).toBe(2);
    expect(chosen(log.lines)).toEqual(['sse']);
    expect(up.seen.every((s) => s.authorization === 'Bearer s3cret-token')).toBe(true);
    expect(logText(log.lines)).not.toContain('s3cret');
  });

  it('falls back on 405 too (our own serveSse), and carries progress and cancellation', async () => {
    const back = await serveProxy(t);
    const { client } = proxyTo(t, urlUpstream({ url: back.sse.url }));
    const c = await client();
    const progress: number[] = [];
    await c.callTool({ name: 'test_tool_with_progress', arguments: {} }, undefined, { onprogress: (p) => progress.push(p.progress) });
    expect(progress.slice(0, 2)).toEqual([0, 50]);
    const abort = new AbortController();
    const call = settle(c.callTool({ name: 'wait', arguments: {} }, undefined, { signal: abort.signal }));
    await until(() => back.waits.entered === 1, 'the tool to start');
    abort.abort(new Error('enough'));
    await until(() => back.waits.cancelled === 1, 'the upstream to see the cancellation');
    expect((await call).ok).toBe(false);
  });

  it('names both failures when the server speaks neither transport', async () => {
    const up = await answering(404);
    const { client } = proxyTo(t, urlUpstream({ url: up.url }));
    const err = await settle(client());
    expect(!err.ok && (err.error as McpError).message).toContain(
      `could not connect to the MCP server at ${up.url}: HTTP 404 to the Streamable HTTP POST, and could not open an SSE stream at ${up.url}: Error opening an event stream: no (HTTP 404) at ${up.url}`,
    );
    expect(up.seen).toEqual(['POST', 'GET']);
  });

  it('does not fall back on 401: the answer is about credentials, not about the transport', async () => {
    const up = await answering(401);
    const log = recordingLogger();
    const { client } = proxyTo(t, urlUpstream({ url: up.url, log }));
    const err = await settle(client());
    expect(!err.ok && (err.error as McpError).message).toMatch(new RegExp(`could not connect to the MCP server at ${up.url}: .*401`));
    expect(up.seen).toEqual(['POST']);
    expect(chosen(log.lines)).toEqual([]);
  });

  it('rejects the first send with the URL when nothing listens, closes the link, and never hangs', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/mcp`;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const channel: Channel = await urlUpstream({ url })();
    let closed = false;
    channel.onclose = () => void (closed = true);
    await channel.start();
    const sent = await settle(channel.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }));
    expect(!sent.ok && String(sent.error)).toMatch(new RegExp(`could not connect to the MCP server at ${url}: fetch failed.*ECONNREFUSED`));
    await until(() => closed, 'the link to close');
    const { client } = proxyTo(t, urlUpstream({ url }));
    const err = await settle(client());
    expect(!err.ok && err.error).toBeInstanceOf(McpError);
    expect(!err.ok && (err.error as McpError).code).toBe(ProxyErrorCode.UpstreamUnavailable);
    expect(!err.ok && (err.error as McpError).message).toContain(url);
  });
});

/** A server that answers every POST with `status` and this JSON body; counts requests by method. */
async function answeringJson(status: number, body: (rpc: { id?: unknown }) => unknown): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(req.method ?? '');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rpc = chunks.length === 0 ? {} : (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: unknown });
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body(rpc)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.add(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, seen };
}

const PROBE = { _meta: { [META.protocolVersion]: '2026-07-28', [META.clientCapabilities]: {}, [META.clientInfo]: { name: 'core', version: '1' } } };

/** Core's side of a link, as a modern link uses it: a peer on the channel the connect function gives. */
async function peerOn(connect: () => Promise<Channel>) {
  const channel = await connect();
  t.add(() => channel.close());
  return new Peer({ channel, label: 'upstream "u"', errorData: { upstream: 'u' }, closedCode: ProxyErrorCode.UpstreamClosed, log: silentLogger });
}

describe('urlUpstream and 2026-07-28 links', () => {
  it('answers a modern first message refused by a legacy-only server with the error, never falling back; legacy links still fall back', async () => {
    const up = await sdkSseServer();
    const log = recordingLogger();
    const connect = urlUpstream({ url: up.url, log });
    const reply = await (await peerOn(connect)).request('server/discover', PROBE);
    expect(reply.error).toMatchObject({ code: ProxyErrorCode.UpstreamClosed, data: { upstream: 'u', httpStatus: 404 } });
    expect(up.seen.map((s) => `${s.method} ${s.status ?? ''}`)).toEqual(['POST 404']);
    expect(chosen(log.lines)).toEqual([]);
    // The probe taught nothing: a legacy client's link still finds the old transport.
    const { client } = proxyTo(t, connect);
    await (await client()).listTools();
    expect(chosen(log.lines)).toEqual(['sse']);
  });

  it("passes a modern server's 400 with -32022 back as the answer, with the versions it supports", async () => {
    const up = await answeringJson(400, (rpc) => ({
      jsonrpc: '2.0',
      id: rpc.id,
      error: { code: -32022, message: 'Unsupported protocol version', data: { supported: ['2025-11-25'] } },
    }));
    const reply = await (await peerOn(urlUpstream({ url: up.url }))).request('server/discover', PROBE);
    expect(reply.error).toEqual({ code: -32022, message: 'Unsupported protocol version', data: { supported: ['2025-11-25'], httpStatus: 400 } });
    expect(up.seen).toEqual(['POST']);
  });

  it('does not fall back to HTTP+SSE when a legacy initialize is refused with a modern JSON-RPC error: the refusal is the answer, so core can bridge', async () => {
    const up = await answeringJson(400, (rpc) => ({
      jsonrpc: '2.0',
      id: rpc.id,
      error: { code: -32022, message: 'Unsupported protocol version', data: { supported: ['2026-07-28'] } },
    }));
    const reply = await (await peerOn(urlUpstream({ url: up.url }))).request('initialize', {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: 'c', version: '1' },
    });
    expect(reply.error).toEqual({ code: -32022, message: 'Unsupported protocol version', data: { supported: ['2026-07-28'] } });
    expect(up.seen).toEqual(['POST']);
  });
});

describe('2026-07-28 clients and a legacy HTTP+SSE upstream found by auto-detection', () => {
  it('reach it through the bridge: the probe finds no 2026-07-28 server, the bridge link finds HTTP+SSE, and a call asks for input in rounds', async () => {
    const up = await sdkSseServer();
    const log = recordingLogger();
    const { proxy } = proxyTo(t, urlUpstream({ url: up.url, log }), { mode: 'shared' });
    const c = await modernClient(proxy);
    const caps = { elicitation: { form: {} } };
    const listed = await c.request('tools/list', {}, caps).reply;
    expect(listed.error).toBeUndefined();
    expect((listed.result?.tools as Array<{ name: string }>).map((tool) => tool.name)).toContain('test_elicitation');
    const first = await c.request('tools/call', { name: 'test_elicitation', arguments: { message: 'Who are you?' } }, caps).reply;
    expect(first.result).toMatchObject({ resultType: 'input_required' });
    const [key] = Object.keys(first.result?.inputRequests as object);
    const answered = await c.request(
      'tools/call',
      {
        name: 'test_elicitation',
        arguments: { message: 'Who are you?' },
        requestState: first.result?.requestState,
        inputResponses: { [key!]: { action: 'accept', content: { username: 'ada', email: 'ada@example.com' } } },
      },
      caps,
    ).reply;
    expect(answered.error).toBeUndefined();
    expect(JSON.stringify(answered.result)).toContain('ada');
    // The legacy transport was found once, by the bridge's link; the probe's 404 taught nothing wrong.
    expect(chosen(log.lines)).toEqual(['sse']);
  });
});

describe('urlUpstream with a forced transport', () => {
  it('transport: sse goes straight to the stream, with no POST to probe', async () => {
    const up = await sdkSseServer();
    const { client } = proxyTo(t, urlUpstream({ url: up.url, transport: 'sse' }));
    await (await client()).listTools();
    expect(up.seen.filter((s) => s.path === '/sse').map((s) => s.method)).toEqual(['GET']);
  });

  it('transport: streamable-http speaks Streamable HTTP, and does not fall back (the error names URL and status)', async () => {
    const streamable = await streamableServer();
    const ok = proxyTo(t, urlUpstream({ url: streamable.url, transport: 'streamable-http' }));
    await (await ok.client()).listTools();
    expect(streamable.sessionCount()).toBe(1);
    const sse = await sdkSseServer();
    const refused = proxyTo(t, urlUpstream({ url: sse.url, transport: 'streamable-http' }));
    const err = await settle(refused.client());
    expect(!err.ok && (err.error as McpError).message).toContain(
      `could not connect to the MCP server at ${sse.url}: Streamable HTTP error: Error POSTing to endpoint: Not found (HTTP 404)`,
    );
    expect(sse.seen.map((s) => s.method)).toEqual(['POST']);
  });

  it('transport: sse against a Streamable HTTP server fails, naming the URL', async () => {
    const streamable = await streamableServer();
    const { client } = proxyTo(t, urlUpstream({ url: streamable.url, transport: 'sse' }));
    const err = await settle(client());
    expect(!err.ok && (err.error as McpError).message).toContain(`could not open an SSE stream at ${streamable.url}`);
  });

  it('refuses an unknown transport or a bad URL at configuration time', () => {
    expect(() => urlUpstream({ url: 'http://127.0.0.1:1/mcp', transport: 'websocket' as 'sse' })).toThrow(ConfigError);
    expect(() => urlUpstream({ url: 'nope?key=abc' })).toThrow(ConfigError);
    expect(() => urlUpstream({ url: 'nope?key=abc' })).not.toThrow(/abc/);
  });
});
