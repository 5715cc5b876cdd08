import { request as httpRequest, type ClientRequest } from 'node:http';
import { createChannelPair, createProxy, META, type Channel, type Listeners, type Message, type Params, type Proxy, type Request } from '@mcproxy/core';
import { afterEach, describe, expect, it } from 'vitest';
import { initialize, modernHeaders, modernMessage, openSse, post, raw, Teardown, until } from '@mcproxy/testing';
import { serveStreamableHttp, type HttpAuthenticator, type HttpServer, type ServeStreamableHttpOptions } from '../../index.js';

const t = new Teardown();
afterEach(() => t.run());

/**
 * A dual-era upstream answered by hand: `server/discover`, `initialize`,
 * `tools/list` and `tools/call` of `echo` are answered at once; anything
 * else waits for the test (`waitFor`, then `send` on the link it came by).
 */
interface HandUpstream {
  /** Every message the upstream got, on any link. */
  received: Message[];
  waitFor(method: string): Promise<Request>;
  /** Sends on the link `about` came by (each era has its own link). */
  send(about: Message, message: Message): Promise<void>;
}

function handUpstream(): { up: HandUpstream; connect(): Promise<Channel> } {
  const received: Message[] = [];
  const linkOf = new WeakMap<Message, Channel>();
  const auto = (link: Channel, m: Message): void => {
    if (!('method' in m) || !('id' in m)) return;
    const r = m as Request;
    const answer = (result: Params): void => void link.send({ jsonrpc: '2.0', id: r.id, result });
    if (r.method === 'server/discover') answer({ supportedVersions: ['2026-07-28'], capabilities: { tools: { listChanged: true } } });
    if (r.method === 'initialize') answer({ protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'hand', version: '1' } });
    if (r.method === 'tools/list') answer({ tools: [{ name: 'echo', inputSchema: { type: 'object' } }], ttlMs: 5000, cacheScope: 'public' });
    if (r.method === 'tools/call' && r.params?.name === 'echo') answer({ content: [{ type: 'text', text: 'echoed' }] });
  };
  const up: HandUpstream = {
    received,
    waitFor: (method) => until(() => received.find((m): m is Request => 'method' in m && m.method === method && 'id' in m), `the upstream to get ${method}`),
    send: (about, message) => linkOf.get(about)!.send(message),
  };
  return {
    up,
    async connect() {
      const [near, far] = createChannelPair();
      far.onmessage = (m) => {
        received.push(m);
        linkOf.set(m, far);
        auto(far, m);
      };
      await far.start();
      return near;
    },
  };
}

async function serveModern(http: ServeStreamableHttpOptions = {}): Promise<{ url: string; up: HandUpstream; proxy: Proxy; server: HttpServer }> {
  const { up, connect } = handUpstream();
  const proxy = createProxy({ upstreams: [{ name: 'up', mode: 'shared', connect }] });
  t.add(() => proxy.close());
  const server = await serveStreamableHttp(proxy, http);
  t.add(() => server.close());
  return { url: server.url, up, proxy, server };
}

/** POSTs a modern request with the headers a conforming client sends, changed by `headers` (a value of '' drops one). */
function postModern(url: string, method: string, params: Params = {}, id: number | string = 7, headers: Record<string, string> = {}) {
  const all = { ...modernHeaders(method, params), ...headers };
  for (const [k, v] of Object.entries(all)) if (v === '') delete all[k];
  return post(url, modernMessage(method, params, { id }), all);
}

interface Started {
  /** Resolves with the response headers; its text grows as the body arrives (SSE comments included). */
  response: Promise<{ status: number; text(): string }>;
  /** Drops the connection from the client's side, as a client that gives up would. */
  drop(): void;
}

/** A POST sent on a connection of its own, which the test can drop before or after the answer starts. */
function startPost(url: string, message: unknown, headers: Record<string, string>): Started {
  const target = new URL(url);
  let req: ClientRequest | undefined;
  const response = new Promise<{ status: number; text(): string }>((resolve, reject) => {
    req = httpRequest({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('error', () => undefined);
      resolve({ status: res.statusCode ?? 0, text: () => text });
    });
    req.on('error', reject);
    req.end(JSON.stringify(message));
  });
  response.catch(() => undefined);
  return { response, drop: () => req!.destroy() };
}

const events = (text: string): Array<Record<string, unknown>> =>
  text
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>);

describe('modern POSTs: answers', () => {
  it('answers a modern tools/call as plain JSON, shaped for a modern client, and keeps no session', async () => {
    const { url, up, proxy } = await serveModern();
    const res = await postModern(url, 'tools/call', { name: 'echo', arguments: {} }, 'call-1');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['mcp-session-id']).toBeUndefined();
    expect(res.json()).toMatchObject({ jsonrpc: '2.0', id: 'call-1', result: { content: [{ text: 'echoed' }], resultType: 'complete' } });
    // The upstream got the client's envelope; the proxy holds nothing once the answer is out.
    const call = await up.waitFor('tools/call');
    expect(call.params?._meta).toMatchObject({ [META.protocolVersion]: '2026-07-28' });
    await until(() => proxy.sessions.size === 0, 'core to forget the request');
  });

  it('turns the response into an event stream when progress comes first, and ends it with the answer', async () => {
    const { url, up } = await serveModern();
    const params = { name: 'slow', arguments: {} };
    const message = modernMessage('tools/call', params, { id: 3 });
    message.params._meta = { ...(message.params._meta as Params), progressToken: 'p' };
    const opening = openSse(url, { method: 'POST', headers: modernHeaders('tools/call', params), body: JSON.stringify(message) });
    const call = await up.waitFor('tools/call');
    const token = (call.params?._meta as Params).progressToken;
    expect(token).toBeDefined();
    await up.send(call, { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: token, progress: 1, total: 2 } });
    const stream = await opening;
    await up.send(call, { jsonrpc: '2.0', id: call.id, result: { content: [] } });
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream');
    expect(stream.headers['x-accel-buffering']).toBe('no');
    expect(stream.headers['cache-control']).toContain('no-cache');
    const first = await stream.next();
    expect(first?.id).toBeUndefined(); // not resumable: no event ids, no priming event
    expect(JSON.parse(first!.data)).toMatchObject({ method: 'notifications/progress', params: { progressToken: 'p', progress: 1 } });
    expect(JSON.parse((await stream.next())!.data)).toMatchObject({ id: 3, result: { resultType: 'complete' } });
    expect(await stream.next()).toBeUndefined();
  });

  it('answers a removed method (ping) 404 with -32601, and a modern notification 202 with no body', async () => {
    const { url } = await serveModern();
    const ping = await postModern(url, 'ping', {}, 0);
    expect(ping.status).toBe(404);
    expect(ping.json()).toMatchObject({ id: 0, error: { code: -32601 } });
    const note = await post(url, { jsonrpc: '2.0', method: 'notifications/roots/list_changed' }, { 'mcp-protocol-version': '2026-07-28' });
    expect(note.status).toBe(202);
    expect(note.text).toBe('');
  });

  it('refuses a POSTed response (400, its id) and answers GET and DELETE from a modern client 405 with Allow: POST', async () => {
    const { url } = await serveModern();
    const answer = await post(url, { jsonrpc: '2.0', id: 4, result: {} }, { 'mcp-protocol-version': '2026-07-28' });
    expect(answer.status).toBe(400);
    expect(answer.json()).toMatchObject({ id: 4, error: { code: -32600 } });
    for (const method of ['GET', 'DELETE']) {
      const res = await raw(url, { method, headers: { 'mcp-protocol-version': '2026-07-28', accept: 'text/event-stream' } });
      expect(res.status, method).toBe(405);
      expect(res.headers.allow).toBe('POST');
    }
  });

  it('serves a legacy session and modern requests side by side, and modern ones do not count against limits.sessions', async () => {
    const { url, up, proxy } = await serveModern({ limits: { sessions: 1 } });
    // A modern request held open by the upstream is no session in the limit's eyes.
    const held = postModern(url, 'tools/call', { name: 'slow', arguments: {} }, 1);
    const call = await up.waitFor('tools/call');
    const init = await post(url, initialize());
    expect(init.status).toBe(200);
    const legacy = { 'mcp-session-id': String(init.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' };
    const listed = await post(url, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, legacy);
    expect(listed.json()).toMatchObject({ id: 2, result: { tools: [{ name: 'echo' }] } });
    expect((listed.json() as { result: Params }).result.resultType).toBeUndefined(); // legacy answers stay legacy
    const modern = await postModern(url, 'tools/list', {}, 3);
    expect(modern.json()).toMatchObject({ id: 3, result: { tools: [{ name: 'echo' }], resultType: 'complete', ttlMs: 5000, cacheScope: 'public' } });
    await up.send(call, { jsonrpc: '2.0', id: call.id, result: { content: [] } });
    expect((await held).status).toBe(200);
    await until(() => proxy.sessions.size === 1, 'only the legacy session to remain');
    // The limit still holds for legacy sessions.
    expect((await post(url, initialize(2))).status).toBe(503);
  });
});

describe('modern POSTs: the client going away, and listen streams', () => {
  it('cancels the request upstream when the client closes the connection before the answer', async () => {
    const { url, up, proxy } = await serveModern();
    const params = { name: 'slow', arguments: {} };
    const started = startPost(url, modernMessage('tools/call', params, { id: 5 }), modernHeaders('tools/call', params));
    const call = await up.waitFor('tools/call');
    expect(proxy.sessions.size).toBe(1);
    started.drop();
    const cancelled = await until(
      () => up.received.find((m) => 'method' in m && m.method === 'notifications/cancelled'),
      'the upstream to hear the cancellation',
    );
    expect(cancelled).toMatchObject({ params: { requestId: call.id } });
    await until(() => proxy.sessions.size === 0, 'core to forget the request');
  });

  it("acknowledges a listen first, then passes on a list_changed tagged with the client's listen id, with keep-alive comments", async () => {
    const { url, up } = await serveModern({ keepAliveMs: 20 });
    const params = { notifications: { toolsListChanged: true } };
    const started = startPost(url, modernMessage('subscriptions/listen', params, { id: 'listen-1' }), modernHeaders('subscriptions/listen', params));
    const stream = await started.response;
    expect(stream.status).toBe(200);
    const listen = await up.waitFor('subscriptions/listen');
    await up.send(listen, { jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: { _meta: { [META.subscriptionId]: listen.id } } });
    await until(() => events(stream.text()).length >= 2 && stream.text().includes(': keep-alive\n\n'), 'the change and a keep-alive');
    const [ack, changed] = events(stream.text());
    expect(ack).toMatchObject({ method: 'notifications/subscriptions/acknowledged', params: { _meta: { [META.subscriptionId]: 'listen-1' } } });
    expect(changed).toMatchObject({ method: 'notifications/tools/list_changed', params: { _meta: { [META.subscriptionId]: 'listen-1' } } });
    started.drop();
    await until(() => up.received.some((m) => 'method' in m && m.method === 'notifications/cancelled'), 'the listen to be cancelled upstream');
  });
  it('ends open listen streams when the server closes, with an answer saying why', async () => {
    const { url, up, server, proxy } = await serveModern({ keepAliveMs: 0 });
    const params = { notifications: { toolsListChanged: true } };
    const started = startPost(url, modernMessage('subscriptions/listen', params, { id: 8 }), modernHeaders('subscriptions/listen', params));
    const stream = await started.response;
    await up.waitFor('subscriptions/listen');
    await server.close();
    // The answer is written before close() resolves; the client reads it a moment later.
    await until(() => events(stream.text()).length >= 2, 'the answer that ends the stream');
    const [ack, last] = events(stream.text());
    expect(ack).toMatchObject({ method: 'notifications/subscriptions/acknowledged' });
    expect(last).toMatchObject({ id: 8, error: { message: expect.stringContaining('shutting down') } });
    expect(stream.text()).not.toContain(': keep-alive');
    expect(proxy.sessions.size).toBe(0);
  });
});

describe('modern POSTs: listen streams per principal', () => {
  /** Takes `x-who` as the principal's id: enough to tell two clients apart. */
  const auth: HttpAuthenticator = {
    documents: new Map(),
    authenticate: async (headers) => ({
      ok: true,
      principal: { id: String(headers['x-who']), kind: 'api-key', scopes: [], claims: {} },
    }),
  };

  it('refuses one principal a listen past limits.listensPerPrincipal (32 by default; 429, -32016), while another still gets one and a closed one frees a place', async () => {
    // The default: 32 listens per principal.
    const { url } = await serveModern({ auth, keepAliveMs: 0 });
    const params = { notifications: { toolsListChanged: true } };
    const open: Started[] = [];
    const listen = (who: string, id: number): Started => {
      const started = startPost(url, modernMessage('subscriptions/listen', params, { id }), { ...modernHeaders('subscriptions/listen', params), 'x-who': who });
      open.push(started);
      return started;
    };
    t.add(async () => {
      for (const s of open) s.drop();
    });
    const held = Array.from({ length: 32 }, (_, i) => listen('mallory', i));
    expect(new Set(await Promise.all(held.map(async (s) => (await s.response).status)))).toEqual(new Set([200]));
    const over = await listen('mallory', 99).response;
    expect(over.status).toBe(429);
    await until(() => over.text().length > 0 || undefined, 'the refusal body');
    expect(JSON.parse(over.text())).toMatchObject({ id: 99, error: { code: -32016, data: { limit: 'listensPerPrincipal', value: 32 } } });
    expect((await listen('alice', 100).response).status).toBe(200);
    held[0]!.drop();
    await until(async () => (await listen('mallory', 101).response).status === 200 || undefined, 'a place to come free');
  });

  it('counts listens in the Listeners it is given', async () => {
    const asked: Array<[string, number]> = [];
    const full: Listeners = {
      open: (key, max) => {
        asked.push([key, max]);
        return false;
      },
      close: () => undefined,
    };
    const { url } = await serveModern({ auth, keepAliveMs: 0, listeners: full });
    const params = { notifications: { toolsListChanged: true } };
    const refused = startPost(url, modernMessage('subscriptions/listen', params, { id: 1 }), {
      ...modernHeaders('subscriptions/listen', params),
      'x-who': 'alice',
    });
    t.add(async () => refused.drop());
    expect((await refused.response).status).toBe(429);
    expect(asked).toEqual([['api-key:alice', 32]]);
  });
});

describe('modern POSTs: header and envelope checks (400, the request id echoed)', () => {
  const call = { name: 'echo', arguments: {} };
  const cases: Array<[string, () => { method: string; params: Params; headers: Record<string, string>; body?: unknown }, number]> = [
    ['MCP-Protocol-Version missing, envelope present', () => ({ method: 'tools/call', params: call, headers: { 'mcp-protocol-version': '' } }), -32020],
    [
      'MCP-Protocol-Version differs from the envelope',
      () => ({ method: 'tools/call', params: call, headers: { 'mcp-protocol-version': '2025-11-25' } }),
      -32020,
    ],
    [
      'envelope missing',
      () => ({ method: 'server/discover', params: {}, headers: {}, body: { jsonrpc: '2.0', id: 9, method: 'server/discover', params: {} } }),
      -32602,
    ],
    [
      'envelope without clientCapabilities',
      () => ({
        method: 'tools/list',
        params: {},
        headers: {},
        body: { jsonrpc: '2.0', id: 9, method: 'tools/list', params: { _meta: { [META.protocolVersion]: '2026-07-28' } } },
      }),
      -32602,
    ],
    ['Mcp-Method missing', () => ({ method: 'tools/call', params: call, headers: { 'mcp-method': '' } }), -32020],
    ['Mcp-Method differs from the body', () => ({ method: 'tools/call', params: call, headers: { 'mcp-method': 'tools/list' } }), -32020],
    ['Mcp-Name missing on tools/call', () => ({ method: 'tools/call', params: call, headers: { 'mcp-name': '' } }), -32020],
    ['Mcp-Name differs on tools/call', () => ({ method: 'tools/call', params: call, headers: { 'mcp-name': 'other' } }), -32020],
    ['Mcp-Name differs on prompts/get', () => ({ method: 'prompts/get', params: { name: 'p' }, headers: { 'mcp-name': 'q' } }), -32020],
    ['Mcp-Name differs on resources/read', () => ({ method: 'resources/read', params: { uri: 'file:///a' }, headers: { 'mcp-name': 'file:///b' } }), -32020],
    [
      'Mcp-Name Base64 of another name',
      () => ({ method: 'tools/call', params: call, headers: { 'mcp-name': `=?base64?${Buffer.from('other').toString('base64')}?=` } }),
      -32020,
    ],
    ['Mcp-Name broken Base64', () => ({ method: 'tools/call', params: call, headers: { 'mcp-name': '=?base64?ec*o?=' } }), -32020],
    ['Mcp-Name with a character a header may not hold', () => ({ method: 'tools/call', params: call, headers: { 'mcp-name': 'ech\u00e9' } }), -32020],
  ];
  for (const [name, make, code] of cases) {
    it(name, async () => {
      const { url, up } = await serveModern();
      const { method, params, headers, body } = make();
      const all = { ...modernHeaders(method, params), ...headers };
      for (const [k, v] of Object.entries(all)) if (v === '') delete all[k];
      const res = await post(url, body ?? modernMessage(method, params, { id: 9 }), all);
      expect(res.status).toBe(400);
      expect(res.json()).toMatchObject({ jsonrpc: '2.0', id: 9, error: { code } });
      expect(up.received.filter((m) => 'method' in m && m.method === method)).toEqual([]);
    });
  }

  it('answers an unsupported revision -32022 with the supported ones, and a header–envelope mismatch -32020', async () => {
    const { url } = await serveModern();
    const meta = { [META.protocolVersion]: 'v999.0.0', [META.clientCapabilities]: {} };
    const body = (id: number) => ({ jsonrpc: '2.0', id, method: 'server/discover', params: { _meta: meta } });
    const both = await post(url, body(301), { ...modernHeaders('server/discover'), 'mcp-protocol-version': 'v999.0.0' });
    expect(both.status).toBe(400);
    expect(both.json()).toMatchObject({ id: 301, error: { code: -32022, data: { supported: ['2026-07-28'], requested: 'v999.0.0' } } });
    const mixed = await post(url, body(302), modernHeaders('server/discover'));
    expect(mixed.status).toBe(400);
    expect(mixed.json()).toMatchObject({ id: 302, error: { code: -32020 } });
  });

  it('accepts Mcp-Name in Base64 sentinel form and with whitespace around it, and ignores Mcp-Param-* headers', async () => {
    const { url } = await serveModern();
    const params = { name: 'echo', arguments: {} };
    const encoded = await postModern(url, 'tools/call', params, 1, { 'mcp-name': `=?base64?${Buffer.from('echo').toString('base64')}?=` });
    expect(encoded.json()).toMatchObject({ id: 1, result: { content: [{ text: 'echoed' }] } });
    const spaced = await postModern(url, 'tools/call', params, 2, { 'mcp-name': '  echo ', 'mcp-param-region': 'nowhere' });
    expect(spaced.json()).toMatchObject({ id: 2, result: { content: [{ text: 'echoed' }] } });
  });
});
