import { get } from 'node:http';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { ProxyErrorCode } from '@mcproxy/core';
import { afterEach, describe, expect, it } from 'vitest';
import { settle, Teardown, textOf, until } from '@mcproxy/testing';
import { initialize, openSse, post } from '../test/http.js';
import { connectClient, serveProxy } from '../test/setup.js';

const t = new Teardown();
afterEach(() => t.run());

describe('serveSse, driven by the SDK client over the legacy SSE transport', () => {
  it('initializes and calls a tool, with progress delivered before the result', async () => {
    const { sse, proxy } = await serveProxy(t);
    expect(sse.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/sse$/);
    const { client } = await connectClient(t, sse.url);
    expect(client.getServerVersion()?.name).toBe('mcproxy-fixture');
    expect(proxy.sessions.size).toBe(1);
    const progress: number[] = [];
    const result = await client.callTool({ name: 'test_tool_with_progress', arguments: {} }, undefined, {
      onprogress: (p) => progress.push(p.progress),
    });
    // The SDK client handles notifications a microtask later than responses,
    // so when the last progress and the result arrive in one chunk it drops
    // that progress. The order on the wire is checked on a raw stream below.
    expect(progress.slice(0, 2)).toEqual([0, 50]);
    expect(textOf(result)).toBe('Tool with progress executed successfully');
  });

  it('reads a resource and gets a prompt', async () => {
    const { sse } = await serveProxy(t);
    const { client } = await connectClient(t, sse.url);
    const read = await client.readResource({ uri: 'test://static-text' });
    expect(read.contents[0]).toMatchObject({ uri: 'test://static-text', text: 'This is the content of the static text resource.' });
    const prompt = await client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: 'a', arg2: 'b' } });
    expect(prompt.messages[0]?.content).toMatchObject({ type: 'text', text: "Prompt with arguments: arg1='a', arg2='b'" });
  });

  it("carries a sampling request from the upstream to the client, and the client's answer (a POST) back", async () => {
    const { sse } = await serveProxy(t);
    const { client } = await connectClient(t, sse.url, 'client A');
    const result = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'hi' } });
    expect(textOf(result)).toBe('LLM response: client A read "hi"');
  });

  it("passes a client's cancellation on to the upstream", async () => {
    const { sse, waits } = await serveProxy(t);
    const { client } = await connectClient(t, sse.url);
    const abort = new AbortController();
    const call = settle(client.callTool({ name: 'wait', arguments: {} }, undefined, { signal: abort.signal }));
    await until(() => waits.entered === 1, 'the tool to start');
    abort.abort(new Error('the user gave up'));
    await until(() => waits.cancelled === 1, 'the upstream to see the cancellation');
    expect((await call).ok).toBe(false);
  });

  it('keeps sessions apart: each client gets its own upstream link and its own answers', async () => {
    const { sse, proxy, upstream } = await serveProxy(t);
    const a = await connectClient(t, sse.url, 'client A');
    const b = await connectClient(t, sse.url, 'client B');
    const [ra, rb] = await Promise.all([
      a.client.callTool({ name: 'test_sampling', arguments: { prompt: 'one' } }),
      b.client.callTool({ name: 'test_sampling', arguments: { prompt: 'two' } }),
    ]);
    expect(textOf(ra)).toBe('LLM response: client A read "one"');
    expect(textOf(rb)).toBe('LLM response: client B read "two"');
    expect(proxy.sessions.size).toBe(2);
    expect(upstream.opened).toBe(2);
  });

  it('close() answers requests still in flight on their streams, then ends every session', async () => {
    const { sse, proxy, waits } = await serveProxy(t);
    const { client } = await connectClient(t, sse.url);
    const call = settle(client.callTool({ name: 'wait', arguments: {} }, undefined, { timeout: 10_000 }));
    await until(() => waits.entered === 1, 'the tool to start');
    await sse.close();
    const outcome = await call;
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.error).toBeInstanceOf(McpError);
    expect(!outcome.ok && (outcome.error as McpError).code).toBe(ProxyErrorCode.SessionClosed);
    expect(proxy.sessions.size).toBe(0);
    await until(() => waits.cancelled === 1, 'the upstream call to be cancelled');
  });
});

describe('the session is the GET stream', () => {
  it("starts with an endpoint event naming the messages path and core's session id", async () => {
    const { sse, proxy } = await serveProxy(t);
    const stream = await openSse(sse.url);
    t.add(async () => stream.drop());
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream');
    const first = await stream.next();
    expect(first?.event).toBe('endpoint');
    const endpoint = new URL(first!.data, sse.url);
    expect(endpoint.pathname).toBe('/messages');
    const id = endpoint.searchParams.get('sessionId');
    expect([...proxy.sessions].map((s) => s.id)).toEqual([id]);
    // A POST is accepted (202) and its answer comes on the stream.
    const accepted = await post(endpoint.href, initialize(0));
    expect(accepted.status).toBe(202);
    expect(await stream.message((m) => m.id === 0)).toMatchObject({ result: { serverInfo: { name: 'mcproxy-fixture' } } });
  });

  it('puts every progress notification on the stream before the result it belongs to', async () => {
    const { sse } = await serveProxy(t);
    const stream = await openSse(sse.url);
    t.add(async () => stream.drop());
    const endpoint = new URL((await stream.next())!.data, sse.url).href;
    await post(endpoint, initialize(1));
    await stream.message((m) => m.id === 1);
    await post(endpoint, { jsonrpc: '2.0', method: 'notifications/initialized' });
    await post(endpoint, {
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'test_tool_with_progress', arguments: {}, _meta: { progressToken: 'p' } },
    });
    const seen: unknown[] = [];
    for (;;) {
      const m = await stream.message(() => true);
      seen.push(m.id === 2 ? 'result' : (m.params as { progress: number; progressToken: string }));
      if (m.id === 2) break;
    }
    expect(seen).toEqual([
      expect.objectContaining({ progressToken: 'p', progress: 0 }),
      expect.objectContaining({ progressToken: 'p', progress: 50 }),
      expect.objectContaining({ progressToken: 'p', progress: 100 }),
      'result',
    ]);
  });

  it('closes the session through core when the client drops the stream: the upstream call is cancelled, the link closed', async () => {
    const { sse, proxy, waits } = await serveProxy(t);
    const stream = await openSse(sse.url);
    const endpoint = new URL((await stream.next())!.data, sse.url).href;
    await post(endpoint, initialize(1));
    await stream.message((m) => m.id === 1);
    await post(endpoint, { jsonrpc: '2.0', method: 'notifications/initialized' });
    await post(endpoint, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'wait', arguments: {} } });
    await until(() => waits.entered === 1, 'the tool to start');
    stream.drop();
    await until(() => proxy.sessions.size === 0, 'the session to close');
    await until(() => waits.cancelled === 1, 'the upstream call to be cancelled');
    await until(() => waits.closed === 1, 'the per-session link to close');
    // The id is gone with the stream.
    expect((await post(endpoint, { jsonrpc: '2.0', id: 3, method: 'ping' })).status).toBe(404);
  });

  it('answers an invalid JSON-RPC message on the stream (-32600), as core does for every transport', async () => {
    const { sse } = await serveProxy(t);
    const stream = await openSse(sse.url);
    t.add(async () => stream.drop());
    const endpoint = new URL((await stream.next())!.data, sse.url).href;
    expect((await post(endpoint, { jsonrpc: '1.0', id: 'x', method: 'ping' })).status).toBe(202);
    expect(await stream.message((m) => m.id === 'x')).toMatchObject({ error: { code: -32600 } });
    expect((await post(endpoint, [initialize(5)])).status).toBe(202);
    expect(await stream.message((m) => m.id === null)).toMatchObject({ error: { code: -32600, message: expect.stringContaining('batches') } });
  });

  it('writes a comment every pingIntervalMs, so idle streams survive intermediaries', async () => {
    const { sse } = await serveProxy(t, { sse: { pingIntervalMs: 10 } });
    let text = '';
    const req = get(sse.url, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => void (text += chunk));
    });
    t.add(async () => req.destroy());
    await until(() => text.includes('\n\n: ping\n\n'), 'a ping after the endpoint event');
    expect(text.startsWith('event: endpoint\ndata: /messages?sessionId=')).toBe(true);
  });
});
