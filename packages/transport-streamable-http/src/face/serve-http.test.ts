import { afterEach, describe, expect, it } from 'vitest';
import { initialize, post, raw, MCP_ACCEPT, Teardown, until } from '@mcproxy/testing';
import { serveProxy } from '../../test/setup.js';

const t = new Teardown();
afterEach(() => t.run());

const jsonRpcError = (code: number) => ({ jsonrpc: '2.0', id: null, error: { code, message: expect.any(String) } });

/** An initialized session, opened by hand: its id and the headers later requests need. */
async function session(url: string): Promise<Record<string, string>> {
  const init = await post(url, initialize());
  expect(init.status).toBe(200);
  const id = init.headers['mcp-session-id'];
  expect(typeof id).toBe('string');
  return { 'mcp-session-id': String(id), 'mcp-protocol-version': '2025-11-25' };
}

describe('HTTP edges of serveStreamableHttp', () => {
  it('answers an unknown session id with 404 and a JSON-RPC error', async () => {
    const { http } = await serveProxy(t);
    const res = await post(http.url, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { 'mcp-session-id': 'no-such-session' });
    expect(res.status).toBe(404);
    expect(res.json()).toEqual(jsonRpcError(-32001));
  });

  it('answers a request without a session id, other than initialize, with 400', async () => {
    const { http, proxy } = await serveProxy(t);
    const res = await post(http.url, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect(res.status).toBe(400);
    // Neither a session's nor a modern request: refused with the id it carried.
    expect(res.json()).toMatchObject({ id: 1, error: { code: -32000 } });
    const batch = await post(http.url, [initialize(1), initialize(2)]);
    expect(batch.status).toBe(400);
    expect(batch.json()).toEqual(jsonRpcError(-32600));
    expect(proxy.sessions.size).toBe(0);
  });

  it('answers a body that is not JSON with 400 and a parse error', async () => {
    const { http, proxy } = await serveProxy(t);
    const res = await raw(http.url, { headers: { 'content-type': 'application/json', accept: MCP_ACCEPT }, body: '{"jsonrpc": "2.0", ' });
    expect(res.status).toBe(400);
    expect(res.json()).toEqual(jsonRpcError(-32700));
    expect(proxy.sessions.size).toBe(0);
  });

  it('refuses bodies over the limit (413) and bodies that are not JSON by type (415)', async () => {
    const { http } = await serveProxy(t, { http: { maxBodyBytes: 1024 } });
    const big = JSON.stringify({ ...initialize(), padding: 'x'.repeat(2048) });
    const declared = await raw(http.url, { headers: { 'content-type': 'application/json', accept: MCP_ACCEPT }, body: big });
    expect(declared.status).toBe(413);
    // The limit's own answer: -32016, naming the limit and its value.
    expect(declared.json()).toMatchObject({ error: { code: -32016, data: { limit: 'clientMessageBytes', value: 1024 } } });
    // No Content-Length: the limit is found while reading.
    const chunked = await raw(http.url, { headers: { 'content-type': 'application/json', accept: MCP_ACCEPT, 'transfer-encoding': 'chunked' }, body: big });
    expect(chunked.status).toBe(413);
    const text = await raw(http.url, { headers: { 'content-type': 'text/plain', accept: MCP_ACCEPT }, body: JSON.stringify(initialize()) });
    expect(text.status).toBe(415);
  });

  it('answers another path with 404 and another method with 405 and Allow', async () => {
    const { http } = await serveProxy(t);
    const elsewhere = await post(http.url.replace('/mcp', '/other'), initialize());
    expect(elsewhere.status).toBe(404);
    const put = await raw(http.url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('GET, POST, DELETE');
    expect(put.json()).toEqual(jsonRpcError(-32000));
  });

  it('leaves MCP-Protocol-Version to the SDK transport: an unsupported one is 400', async () => {
    const { http } = await serveProxy(t);
    const headers = await session(http.url);
    const bad = await post(http.url, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { ...headers, 'mcp-protocol-version': '1999-01-01' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Unsupported protocol version');
    const good = await post(http.url, { jsonrpc: '2.0', id: 3, method: 'tools/list' }, headers);
    expect(good.status).toBe(200);
    expect(good.text).toContain('"hello"');
  });

  it('closes a session nobody has talked to for sessionIdleMs, and its id is 404 after', async () => {
    const { http, proxy } = await serveProxy(t, { http: { sessionIdleMs: 50 } });
    const headers = await session(http.url);
    expect(proxy.sessions.size).toBe(1);
    await until(() => proxy.sessions.size === 0, 'the idle session to close');
    const res = await post(http.url, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, headers);
    expect(res.status).toBe(404);
  });

  it('serves several POST streams of one session at once, each with its own answer', async () => {
    const { http } = await serveProxy(t);
    const headers = await session(http.url);
    const ids = [1000, 1001, 1002];
    const answers = await Promise.all(ids.map((id) => post(http.url, { jsonrpc: '2.0', id, method: 'tools/list' }, headers)));
    for (const [i, res] of answers.entries()) {
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/json'); // a quick answer with nothing before it is plain JSON
      expect(res.text).toContain(`"id":${ids[i]}`);
    }
  });

  it('DELETE without a session id is 400; GET without one is 400', async () => {
    const { http } = await serveProxy(t);
    expect((await raw(http.url, { method: 'DELETE' })).status).toBe(400);
    expect((await raw(http.url, { method: 'GET', headers: { accept: 'text/event-stream' } })).status).toBe(400);
  });
});

describe('DNS-rebinding protection', () => {
  it('refuses a foreign Host with 403 and a JSON-RPC error, and accepts the loopback names with any port', async () => {
    const { http, proxy } = await serveProxy(t);
    const evil = await post(http.url, initialize(), { host: 'evil.example.com', origin: 'http://evil.example.com' });
    expect(evil.status).toBe(403);
    expect(evil.json()).toEqual(jsonRpcError(-32000));
    expect(proxy.sessions.size).toBe(0);
    const port = new URL(http.url).port;
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, 'localhost', `[::1]:${port}`]) {
      const ok = await post(http.url, initialize(), { host, origin: `http://${host}` });
      expect(ok.status, host).toBe(200);
    }
  });

  it('refuses a foreign Origin even with a good Host, and odd Host values', async () => {
    const { http } = await serveProxy(t);
    const origin = await post(http.url, initialize(), { origin: 'https://evil.example.com' });
    expect(origin.status).toBe(403);
    expect(origin.json()).toEqual(jsonRpcError(-32000));
    expect((await post(http.url, initialize(), { origin: 'null' })).status).toBe(403);
    expect((await post(http.url, initialize(), { host: 'evil.example@localhost' })).status).toBe(403);
  });

  it('follows allowedHosts and allowedOrigins, and can be turned off', async () => {
    const custom = await serveProxy(t, { http: { allowedHosts: ['mcp.example'], allowedOrigins: ['https://app.example'] } });
    expect((await post(custom.http.url, initialize(), { host: 'mcp.example:443' })).status).toBe(200);
    expect((await post(custom.http.url, initialize(), { host: 'localhost' })).status).toBe(403);
    expect((await post(custom.http.url, initialize(), { host: 'mcp.example', origin: 'https://app.example' })).status).toBe(200);
    expect((await post(custom.http.url, initialize(), { host: 'mcp.example', origin: 'http://mcp.example' })).status).toBe(403);
    const off = await serveProxy(t, { http: { dnsRebindingProtection: false } });
    expect((await post(off.http.url, initialize(), { host: 'evil.example.com', origin: 'http://evil.example.com' })).status).toBe(200);
  });
});
