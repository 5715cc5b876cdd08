import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { ConfigError, ProxyErrorCode, type Message } from '@mcproxy/core';
import { afterEach, describe, expect, it } from 'vitest';
import { logText, recordingLogger, settle, Teardown, textOf, until } from '@mcproxy/testing';
import { startSdkSseServer, type SdkSseServer } from '../test/sdk-sse-server.js';
import { buildUpstream, proxyTo, serveProxy, type WaitLog } from '../test/setup.js';
import { sseUpstream } from './index.js';

const t = new Teardown();
afterEach(() => t.run());

async function sdkServer(): Promise<SdkSseServer & { waits: WaitLog }> {
  const waits: WaitLog = { entered: 0, cancelled: 0, closed: 0 };
  const up = await startSdkSseServer(() => buildUpstream(waits));
  t.add(() => up.close());
  return { ...up, waits };
}

/** A port nothing listens on: bound, then closed. */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/sse`;
}

describe("sseUpstream against the SDK's SSE server", () => {
  it('carries tool calls, progress and sampling through a proxy, sends the headers, and never logs them', async () => {
    const up = await sdkServer();
    const log = recordingLogger();
    const { client } = proxyTo(t, sseUpstream({ url: up.url, headers: { Authorization: 'Bearer s3cret-token' }, log }), { log });
    const c = await client('client A');
    const progress: number[] = [];
    const result = await c.callTool({ name: 'test_tool_with_progress', arguments: {} }, undefined, { onprogress: (p) => progress.push(p.progress) });
    expect(textOf(result)).toBe('Tool with progress executed successfully');
    expect(progress.slice(0, 2)).toEqual([0, 50]);
    expect(textOf(await c.callTool({ name: 'test_sampling', arguments: { prompt: 'hi' } }))).toBe('LLM response: client A read "hi"');
    expect(up.seen.map((s) => `${s.method} ${s.path}`)).toContain('GET /sse');
    expect(up.seen.filter((s) => s.method === 'POST').length).toBeGreaterThan(2);
    expect(up.seen.every((s) => s.authorization === 'Bearer s3cret-token')).toBe(true);
    expect(log.lines.some((l) => l.bindings.url === up.url)).toBe(true);
    expect(logText(log.lines)).not.toContain('s3cret');
  });

  it('sends MCP-Protocol-Version on the POSTs after initialize, with the version the server chose; ids 0 and "" work', async () => {
    const up = await sdkServer();
    const channel = await sseUpstream({ url: up.url })();
    t.add(() => channel.close());
    const got: Message[] = [];
    channel.onmessage = (m) => void got.push(m);
    await channel.start();
    await channel.send({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    await until(() => got.length === 1, 'the initialize answer');
    expect(got[0]).toMatchObject({ id: 0, result: { protocolVersion: '2025-03-26' } });
    await channel.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await channel.send({ jsonrpc: '2.0', id: '', method: 'ping' });
    await until(() => got.length === 2, 'the ping answer');
    expect(got[1]).toMatchObject({ id: '', result: {} });
    const posts = up.seen.filter((s) => s.method === 'POST');
    expect(posts.map((s) => [s.rpc, s.protocolVersion])).toEqual([
      ['initialize', undefined],
      ['notifications/initialized', '2025-03-26'],
      ['ping', '2025-03-26'],
    ]);
  });

  it("sends each message's hop list as the Mcproxy-Hops header of its POST, so a proxy behind a _meta-dropping hop still sees it", async () => {
    const up = await sdkServer();
    const { client } = proxyTo(t, sseUpstream({ url: up.url }), { id: 'front' });
    const c = await client();
    await c.callTool({ name: 'test_simple_text', arguments: {} });
    const posts = up.seen.filter((s) => s.method === 'POST');
    expect(posts.map((s) => s.rpc)).toEqual(expect.arrayContaining(['initialize', 'tools/call']));
    expect(posts.every((s) => s.hops === 'front')).toBe(true);
    // The stream's GET carries no message, so no hop list.
    expect(up.seen.filter((s) => s.method === 'GET').map((s) => s.hops)).toEqual([undefined]);
  });

  it('passes a cancellation on to the upstream', async () => {
    const up = await sdkServer();
    const { client } = proxyTo(t, sseUpstream({ url: up.url }));
    const c = await client();
    const abort = new AbortController();
    const call = settle(c.callTool({ name: 'wait', arguments: {} }, undefined, { signal: abort.signal }));
    await until(() => up.waits.entered === 1, 'the tool to start');
    abort.abort(new Error('enough'));
    await until(() => up.waits.cancelled === 1, 'the upstream to see the cancellation');
    expect((await call).ok).toBe(false);
  });

  it('closes the link when the server ends the stream: in-flight calls fail at once, the next call opens a new session', async () => {
    const up = await sdkServer();
    const { client } = proxyTo(t, sseUpstream({ url: up.url }));
    const c = await client();
    const call = settle(c.callTool({ name: 'wait', arguments: {} }, undefined, { timeout: 10_000 }));
    await until(() => up.waits.entered === 1, 'the tool to start');
    await up.dropStreams();
    const outcome = await call;
    expect(!outcome.ok && outcome.error).toBeInstanceOf(McpError);
    expect(!outcome.ok && (outcome.error as McpError).code).toBe(ProxyErrorCode.UpstreamClosed);
    expect(textOf(await c.callTool({ name: 'test_simple_text', arguments: {} }))).toBe('This is a simple text response for testing.');
    expect(up.seen.filter((s) => s.method === 'GET')).toHaveLength(2);
    expect(up.seen.filter((s) => s.rpc === 'initialize')).toHaveLength(2);
    expect(up.sessions.size).toBe(1);
  });

  it('ends the upstream session (the stream) when the link closes', async () => {
    const up = await sdkServer();
    const { client } = proxyTo(t, sseUpstream({ url: up.url }));
    const c = await client();
    await c.listTools();
    expect(up.sessions.size).toBe(1);
    await c.close();
    await until(() => up.sessions.size === 0, 'the upstream to see the stream close');
  });
});

describe('sseUpstream failures name the URL and never hang', () => {
  it('rejects start when nothing listens, and a proxy answers the client -32011', async () => {
    const url = await deadUrl();
    const channel = await sseUpstream({ url })();
    let closed = false;
    channel.onclose = () => void (closed = true);
    const started = await settle(channel.start());
    expect(!started.ok && String(started.error)).toMatch(new RegExp(`could not open an SSE stream at ${url}: .*(fetch failed|ECONNREFUSED)`));
    // A channel that never started does not report a close.
    expect(closed).toBe(false);
    const { client } = proxyTo(t, sseUpstream({ url }));
    const err = await settle(client());
    expect(!err.ok && err.error).toBeInstanceOf(McpError);
    expect(!err.ok && (err.error as McpError).code).toBe(ProxyErrorCode.UpstreamUnavailable);
    expect(!err.ok && (err.error as McpError).message).toContain(url);
  });

  it('rejects start for a URL that is not an SSE endpoint, and for a stream without an endpoint event', async () => {
    const up = await sdkServer();
    const notSse = await settle(sseUpstream({ url: up.url.replace('/sse', '/mcp') })().then((c) => c.start()));
    expect(!notSse.ok && String(notSse.error)).toMatch(/could not open an SSE stream at http:\/\/127\.0\.0\.1:\d+\/mcp: .*404/);
    const silent = createServer((_req, res) => void res.writeHead(200, { 'content-type': 'text/event-stream' }).write(': nothing\n\n'));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    t.add(
      () =>
        new Promise<void>((resolve) => {
          silent.close(() => resolve());
          silent.closeAllConnections();
        }),
    );
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/sse`;
    const waited = await settle(sseUpstream({ url, connectTimeoutMs: 100 })().then((c) => c.start()));
    expect(!waited.ok && String(waited.error)).toContain(`could not open an SSE stream at ${url}: no endpoint event within 100 ms`);
  });

  it('refuses a URL or timeout it cannot use, at configuration time, without echoing a token', () => {
    expect(() => sseUpstream({ url: 'not a url?token=abc' })).toThrow(ConfigError);
    expect(() => sseUpstream({ url: 'not a url?token=abc' })).not.toThrow(/abc/);
    expect(() => sseUpstream({ url: 'ftp://example.com/sse' })).toThrow(ConfigError);
    expect(() => sseUpstream({ url: 'http://user:pw@example.com/sse' })).toThrow(/headers/);
    expect(() => sseUpstream({ url: 'http://example.com/sse', connectTimeoutMs: 0 })).toThrow(ConfigError);
  });
});

describe('two proxies in series over SSE', () => {
  it('serveSse in front, sseUpstream behind: progress, sampling and cancellation cross both', async () => {
    const back = await serveProxy(t);
    const { client } = proxyTo(t, sseUpstream({ url: back.sse.url }));
    const c = await client('client A');
    expect(textOf(await c.callTool({ name: 'test_sampling', arguments: { prompt: 'deep' } }))).toBe('LLM response: client A read "deep"');
    const progress: number[] = [];
    await c.callTool({ name: 'test_tool_with_progress', arguments: {} }, undefined, { onprogress: (p) => progress.push(p.progress) });
    expect(progress.slice(0, 2)).toEqual([0, 50]);
    const abort = new AbortController();
    const call = settle(c.callTool({ name: 'wait', arguments: {} }, undefined, { signal: abort.signal }));
    await until(() => back.waits.entered === 1, 'the tool to start');
    abort.abort(new Error('enough'));
    await until(() => back.waits.cancelled === 1, 'the far upstream to see the cancellation');
    expect((await call).ok).toBe(false);
  });
});
