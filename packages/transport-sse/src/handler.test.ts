import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, createProxy } from '@mcproxy/core';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryUpstream, raw, Teardown, textOf, type SseStream } from '@mcproxy/testing';
import { initialize, openSse, post } from '../test/http.js';
import { buildUpstream, connectClient, serveProxy } from '../test/setup.js';
import { createSseHandler } from './index.js';

const t = new Teardown();
afterEach(() => t.run());

const jsonRpcError = (code: number) => ({ jsonrpc: '2.0', id: null, error: { code, message: expect.any(String) } });

/** An open stream and the URL its endpoint event names. */
async function session(url: string, headers: Record<string, string> = {}): Promise<{ stream: SseStream; endpoint: string }> {
  const stream = await openSse(url, headers);
  t.add(async () => stream.drop());
  const first = await stream.next();
  expect(first?.event).toBe('endpoint');
  return { stream, endpoint: new URL(first!.data, url).href };
}

describe('HTTP edges of the SSE endpoints', () => {
  it('answers a POST for an unknown session with 404, and one without a session id with 400', async () => {
    const { sse } = await serveProxy(t);
    const messages = sse.url.replace('/sse', '/messages');
    const unknown = await post(`${messages}?sessionId=no-such-session`, initialize());
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toEqual(jsonRpcError(-32001));
    // An empty id is an id, and no session has it.
    expect((await post(`${messages}?sessionId=`, initialize())).status).toBe(404);
    const missing = await post(messages, initialize());
    expect(missing.status).toBe(400);
    expect(missing.json()).toEqual(jsonRpcError(-32000));
  });

  it('answers a body that is not JSON with 400 and a parse error, and the session lives on', async () => {
    const { sse } = await serveProxy(t);
    const { stream, endpoint } = await session(sse.url);
    const bad = await raw(endpoint, { headers: { 'content-type': 'application/json' }, body: '{"jsonrpc": "2.0", ' });
    expect(bad.status).toBe(400);
    expect(bad.json()).toEqual(jsonRpcError(-32700));
    expect((await post(endpoint, initialize(7))).status).toBe(202);
    expect(await stream.message((m) => m.id === 7)).toHaveProperty('result');
  });

  it('refuses bodies over the limit (413) and bodies that are not JSON by type (415)', async () => {
    const { sse } = await serveProxy(t, { sse: { maxBodyBytes: 1024 } });
    const { endpoint } = await session(sse.url);
    const big = JSON.stringify({ ...initialize(), padding: 'x'.repeat(2048) });
    const declared = await raw(endpoint, { headers: { 'content-type': 'application/json' }, body: big });
    expect(declared.status).toBe(413);
    // The limit's own answer: -32016, naming the limit and its value.
    expect(declared.json()).toMatchObject({ error: { code: -32016, data: { limit: 'clientMessageBytes', value: 1024 } } });
    // No Content-Length: the limit is found while reading.
    const chunked = await raw(endpoint, { headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, body: big });
    expect(chunked.status).toBe(413);
    const text = await raw(endpoint, { headers: { 'content-type': 'text/plain' }, body: JSON.stringify(initialize()) });
    expect(text.status).toBe(415);
  });

  it('answers other methods with 405 and Allow, and other paths with 404', async () => {
    const { sse, proxy } = await serveProxy(t);
    const postToSse = await post(sse.url, initialize());
    expect(postToSse.status).toBe(405);
    expect(postToSse.headers.allow).toBe('GET');
    expect(postToSse.json()).toEqual(jsonRpcError(-32000));
    const getMessages = await raw(sse.url.replace('/sse', '/messages'), { method: 'GET' });
    expect(getMessages.status).toBe(405);
    expect(getMessages.headers.allow).toBe('POST');
    expect((await raw(sse.url.replace('/sse', '/mcp'), { method: 'GET' })).status).toBe(404);
    expect(proxy.sessions.size).toBe(0);
  });

  it('serves custom paths, and one path for both when they are the same', async () => {
    const { sse } = await serveProxy(t, { sse: { ssePath: '/legacy', messagesPath: '/legacy' } });
    expect(sse.url).toMatch(/\/legacy$/);
    const { stream, endpoint } = await session(sse.url);
    expect(new URL(endpoint).pathname).toBe('/legacy');
    expect((await post(endpoint, initialize(1))).status).toBe(202);
    expect(await stream.message((m) => m.id === 1)).toHaveProperty('result');
  });
});

describe('hop lists', () => {
  it('takes the Mcproxy-Hops header as the hop list of a POSTed message whose _meta has none, so a loop is refused', async () => {
    const { sse } = await serveProxy(t, { id: 'back' });
    const { stream, endpoint } = await session(sse.url);
    expect((await post(endpoint, initialize(1), { 'mcproxy-hops': 'front, back' })).status).toBe(202);
    expect(await stream.message((m) => m.id === 1)).toMatchObject({ error: { code: -32014, data: { hops: ['front', 'back'] } } });
    // Another proxy's id in the header is no loop: the message goes on.
    expect((await post(endpoint, initialize(2), { 'mcproxy-hops': 'front' })).status).toBe(202);
    expect(await stream.message((m) => m.id === 2)).toHaveProperty('result');
  });
});

describe('DNS-rebinding protection', () => {
  it('refuses a foreign Host or Origin with 403, on the stream and on POSTs', async () => {
    const { sse, proxy } = await serveProxy(t);
    const evilHost = await raw(sse.url, { method: 'GET', headers: { host: 'evil.example.com' } });
    expect(evilHost.status).toBe(403);
    expect(evilHost.json()).toEqual(jsonRpcError(-32000));
    const evilOrigin = await raw(sse.url, { method: 'GET', headers: { origin: 'https://evil.example.com' } });
    expect(evilOrigin.status).toBe(403);
    expect(proxy.sessions.size).toBe(0);
    const { endpoint } = await session(sse.url);
    expect((await post(endpoint, initialize(), { host: 'evil.example.com' })).status).toBe(403);
    expect((await post(endpoint, initialize(), { origin: 'http://evil.example.com' })).status).toBe(403);
    const port = new URL(sse.url).port;
    expect((await post(endpoint, initialize(), { host: `localhost:${port}`, origin: `http://localhost:${port}` })).status).toBe(202);
  });

  it('follows allowedHosts and allowedOrigins, and can be turned off', async () => {
    const custom = await serveProxy(t, { sse: { allowedHosts: ['mcp.example'], allowedOrigins: ['https://app.example'] } });
    expect((await raw(custom.sse.url, { method: 'GET', headers: { host: 'localhost' } })).status).toBe(403);
    const ok = await openSse(custom.sse.url, { host: 'mcp.example', origin: 'https://app.example' });
    t.add(async () => ok.drop());
    expect(ok.status).toBe(200);
    const off = await serveProxy(t, { sse: { dnsRebindingProtection: false } });
    const any = await openSse(off.sse.url, { host: 'evil.example.com', origin: 'http://evil.example.com' });
    t.add(async () => any.drop());
    expect(any.status).toBe(200);
  });
});

describe('createSseHandler', () => {
  it('mounts next to another handler on one server and takes only its own paths', async () => {
    const waits = { entered: 0, cancelled: 0, closed: 0 };
    const proxy = createProxy({ upstreams: [memoryUpstream('fixture', () => buildUpstream(waits))] });
    t.add(() => proxy.close());
    const sse = createSseHandler(proxy);
    const server = createServer((req, res) => {
      if (sse.handle(req, res)) return;
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`other handler: ${req.method} ${req.url}`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.add(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    t.add(() => sse.close());
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect((await raw(`${base}/mcp`, { method: 'POST', body: '{}' })).text).toBe('other handler: POST /mcp');
    // A query string does not make another path: /sse?x=1 is still the SSE endpoint.
    const { client } = await connectClient(t, `${base}/sse?x=1`);
    expect(textOf(await client.callTool({ name: 'test_simple_text', arguments: {} }))).toBe('This is a simple text response for testing.');
    expect(sse.sessions).toBe(1);
    await sse.close();
    expect(sse.sessions).toBe(0);
    // Closed: new sessions are refused, other paths still belong to the other handler.
    expect((await raw(`${base}/sse`, { method: 'GET' })).status).toBe(503);
    expect((await raw(`${base}/health`, { method: 'GET' })).status).toBe(200);
  });

  it('checks its options once, with a ConfigError', () => {
    const proxy = createProxy({ upstreams: [] });
    expect(() => createSseHandler(proxy, { ssePath: 'sse' })).toThrow(ConfigError);
    expect(() => createSseHandler(proxy, { messagesPath: 'messages' })).toThrow(/messagesPath/);
    expect(() => createSseHandler(proxy, { maxBodyBytes: 0 })).toThrow(ConfigError);
    expect(() => createSseHandler(proxy, { pingIntervalMs: -1 })).toThrow(ConfigError);
    expect(() => createSseHandler(proxy, { allowedHosts: ['not a host/'] })).toThrow(ConfigError);
  });
});
