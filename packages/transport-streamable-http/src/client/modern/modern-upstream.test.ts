import type { ServerResponse } from 'node:http';
import { Cancellation, META, Peer, silentLogger, type Message, type MessageExtra } from '@mcproxy/core';
import { afterEach, describe, expect, it } from 'vitest';
import { recordingLogger, Teardown, until } from '@mcproxy/testing';
import { scriptedUpstream, sseEvent, sseHead, type Hit } from '../../../test/scripted-upstream.js';
import { streamableHttpUpstream, type UpstreamChannel } from '../../index.js';

const t = new Teardown();
afterEach(() => t.run());

const VERSION = '2026-07-28';
const envelope = { [META.protocolVersion]: VERSION, [META.clientCapabilities]: {}, [META.clientInfo]: { name: 'raw', version: '1' } };
const modern = (id: number, method: string, params: Record<string, unknown> = {}) => ({
  jsonrpc: '2.0' as const,
  id,
  method,
  params: { ...params, _meta: envelope },
});
const result = (hit: Hit, value: Record<string, unknown>) => ({ jsonrpc: '2.0', id: hit.body?.id, result: value });
const json = (res: ServerResponse, body: unknown, status = 200) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

/** A server that answers as `script` says; it names a session on every answer, which a modern client must ignore. */
async function upstream(script: (hit: Hit, res: ServerResponse) => void) {
  const up = await scriptedUpstream((hit, res) => {
    res.setHeader('mcp-session-id', 'should-be-ignored');
    script(hit, res);
  });
  t.add(() => up.close());
  return up;
}

async function connect(url: string) {
  const log = recordingLogger();
  const channel = (await streamableHttpUpstream({ url, headers: { Authorization: 'Bearer x' }, log, closeTimeoutMs: 500 })()) as UpstreamChannel;
  t.add(() => channel.close());
  const got: Array<[Message, MessageExtra | undefined]> = [];
  channel.onmessage = (m, extra) => void got.push([m, extra]);
  await channel.start();
  return { channel, got, log };
}

const tools = {
  tools: [
    { name: 'execute_sql', inputSchema: { type: 'object', properties: { region: { type: 'string', 'x-mcp-header': 'Region' }, query: { type: 'string' } } } },
    { name: 'broken', inputSchema: { type: 'object', properties: { list: { type: 'array', items: { type: 'string', 'x-mcp-header': 'Item' } } } } },
  ],
};

describe('UpstreamChannel with 2026-07-28 messages', () => {
  it("POSTs each request with the revision's headers and no session, mirroring Mcp-Param-* after a tools/list that annotated them", async () => {
    const up = await upstream((hit, res) => {
      if (hit.body?.method === 'tools/list') json(res, result(hit, tools));
      else json(res, result(hit, { content: [] }));
    });
    const { channel, got, log } = await connect(up.url);
    await channel.send(modern(1, 'tools/call', { name: 'météo', arguments: {} }));
    await channel.send(modern(2, 'tools/list'));
    await channel.send(modern(3, 'tools/call', { name: 'execute_sql', arguments: { region: 'us-west1', query: 'SELECT 1' } }));
    await channel.send(modern(4, 'resources/read', { uri: 'file:///a.txt' }));
    expect(up.hits.map((h) => h.method)).toEqual(['POST', 'POST', 'POST', 'POST']);
    const metadata = up.hits.map((h) => Object.fromEntries(Object.entries(h.headers).filter(([k]) => k.startsWith('mcp-'))));
    expect(metadata).toEqual([
      { 'mcp-protocol-version': VERSION, 'mcp-method': 'tools/call', 'mcp-name': '=?base64?bcOpdMOpbw==?=' },
      { 'mcp-protocol-version': VERSION, 'mcp-method': 'tools/list' },
      { 'mcp-protocol-version': VERSION, 'mcp-method': 'tools/call', 'mcp-name': 'execute_sql', 'mcp-param-region': 'us-west1' },
      { 'mcp-protocol-version': VERSION, 'mcp-method': 'resources/read', 'mcp-name': 'file:///a.txt' },
    ]);
    for (const h of up.hits)
      expect(h.headers).toMatchObject({ accept: 'application/json, text/event-stream', 'content-type': 'application/json', authorization: 'Bearer x' });
    // The tool whose annotation is unreachable is not offered, and the log says which and why.
    const listed = got.find(([m]) => 'id' in m && m.id === 2)![0] as unknown as { result: typeof tools };
    expect(listed.result.tools.map((tool) => tool.name)).toEqual(['execute_sql']);
    const warning = log.lines.find((l) => l.level === 'warn' && l.msg?.includes('x-mcp-header') === true);
    expect(warning?.obj).toMatchObject({ tool: 'broken', reason: expect.stringMatching(/reachable/) as unknown });
    // Calling the tool that was not offered is refused here, never POSTed without its headers.
    await channel.send(modern(5, 'tools/call', { name: 'broken', arguments: {} }));
    const refused = got.find(([m]) => 'id' in m && m.id === 5)![0] as unknown as { error: { code: number; message: string } };
    expect(refused.error.code).toBe(-32602);
    expect(refused.error.message).toMatch(/x-mcp-header/);
    expect(up.hits).toHaveLength(4);
    expect(channel.sessionId).toBeUndefined();
    await channel.close();
    expect(up.hits.filter((h) => h.method !== 'POST')).toEqual([]);
  });

  it('ties every message of an SSE answer to its request, skipping keep-alive comments, and takes a JSON answer as it is', async () => {
    const up = await upstream((hit, res) => {
      if (hit.body?.method !== 'tools/call') return json(res, result(hit, { tools: [] }));
      sseHead(res);
      res.write(': keep-alive\n\n');
      res.write(sseEvent({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 't', progress: 1 } }));
      res.write(sseEvent({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'half way' } }));
      res.end(sseEvent(result(hit, { content: [{ type: 'text', text: 'done' }] })));
    });
    const { channel, got } = await connect(up.url);
    await channel.send(modern(7, 'tools/call', { name: 'slow', arguments: {} }));
    await channel.send(modern(8, 'tools/list'));
    expect(got.map(([m, extra]) => ['method' in m ? m.method : `answer ${String((m as { id: unknown }).id)}`, extra?.relatedRequestId])).toEqual([
      ['notifications/progress', 7],
      ['notifications/message', 7],
      ['answer 7', 7],
      ['answer 8', 8],
    ]);
  });

  it('delivers a 400 with a JSON-RPC error body as the answer, keeping its data and adding the status', async () => {
    const up = await upstream((hit, res) =>
      json(
        res,
        {
          jsonrpc: '2.0',
          id: hit.body?.id,
          error: { code: -32022, message: 'Unsupported protocol version', data: { supported: ['2025-11-25'], requested: VERSION } },
        },
        400,
      ),
    );
    const { channel, got } = await connect(up.url);
    await channel.send(modern(1, 'server/discover'));
    expect(got).toEqual([
      [
        {
          jsonrpc: '2.0',
          id: 1,
          error: { code: -32022, message: 'Unsupported protocol version', data: { supported: ['2025-11-25'], requested: VERSION, httpStatus: 400 } },
        },
        { relatedRequestId: 1 },
      ],
    ]);
  });

  it('answers a refusal without a JSON-RPC body with an error that carries the status, and keeps the link', async () => {
    const up = await upstream((_hit, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>'));
    const { channel } = await connect(up.url);
    let closed = false;
    channel.onclose = () => void (closed = true);
    const peer = new Peer({ channel, label: 'upstream "u"', errorData: { upstream: 'u' }, closedCode: -32000, log: silentLogger });
    const reply = await peer.request('server/discover', modern(0, 'x').params);
    expect(reply.error).toMatchObject({ code: -32000, data: { upstream: 'u', httpStatus: 404 } });
    expect(closed).toBe(false);
  });

  it.each([
    ['an AbortSignal', 'signal'],
    ["core's Cancellation", 'cancel'],
  ] as const)(
    "cancels by closing the POST (the caller's %s): core's notifications/cancelled is never POSTed, and the server sees the request aborted",
    async (_name, by) => {
      const up = await upstream((hit, res) => {
        if (hit.body?.method !== 'tools/call') return json(res, result(hit, {}), 500);
        sseHead(res);
        res.write(sseEvent({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 't', progress: 1 } }));
      });
      const { channel } = await connect(up.url);
      const controller = by === 'signal' ? new AbortController() : new Cancellation();
      const peer = new Peer({ channel, label: 'upstream "u"', errorData: { upstream: 'u' }, closedCode: -32000, log: silentLogger });
      const abort = controller instanceof Cancellation ? { cancel: controller } : { signal: controller.signal };
      const call = peer.request('tools/call', modern(0, 'tools/call', { name: 'slow', arguments: {} }).params, abort);
      const hit = await until(() => up.hits[0], 'the POST');
      await new Promise((r) => setTimeout(r, 50));
      expect(hit.closed).toBe(false);
      controller.abort(new Error('the client cancelled'));
      await expect(call).rejects.toThrow('the client cancelled');
      await until(() => hit.closed, 'the server to see the POST closed');
      await new Promise((r) => setTimeout(r, 100));
      expect(up.hits.map((h) => h.body?.method)).toEqual(['tools/call']);
    },
  );

  it('answers a request whose stream is cut before its answer with "closed before answering", at once and without GET', async () => {
    const up = await upstream((_hit, res) => {
      sseHead(res);
      res.write(`id: e1\nretry: 10\n${sseEvent({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 't', progress: 1 } })}`);
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const { channel } = await connect(up.url);
    const peer = new Peer({ channel, label: 'upstream "u"', errorData: { upstream: 'u' }, closedCode: -32000, log: silentLogger });
    const reply = await peer.request('tools/call', modern(0, 'tools/call', { name: 'slow', arguments: {} }).params);
    expect(reply.error?.code).toBe(-32000);
    expect(reply.error?.message).toMatch(/upstream "u" closed before answering tools\/call: .*cut off before its answer/);
    expect(up.hits.map((h) => h.method)).toEqual(['POST']);
  });

  it('keeps a subscriptions/listen stream open as long as the server does, its notifications tied to it', async () => {
    let stream: ServerResponse | undefined;
    const up = await upstream((hit, res) => {
      sseHead(res);
      res.write(sseEvent({ jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { _meta: { [META.subscriptionId]: hit.body?.id } } }));
      stream = res;
    });
    const { channel, got } = await connect(up.url);
    const listening = channel.send(modern(5, 'subscriptions/listen', { notifications: { toolsListChanged: true } }));
    await until(() => got.length === 1, 'the acknowledgement');
    await new Promise((r) => setTimeout(r, 300));
    stream!.write(sseEvent({ jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: { _meta: { [META.subscriptionId]: 5 } } }));
    await until(() => got.length === 2, 'the list_changed');
    expect(got.map(([, extra]) => extra?.relatedRequestId)).toEqual([5, 5]);
    stream!.end(sseEvent({ jsonrpc: '2.0', id: 5, result: {} }));
    await listening;
  });
});
