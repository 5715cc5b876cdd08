import { createProxy } from '@mcproxy/core';
import { initialize, MCP_ACCEPT, memoryUpstream, modernUpstream, openSse, post, postModern, raw, Teardown, toolList } from '@mcproxy/testing';
import { serveSse } from '@mcproxy/transport-sse';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../src/index.js';
import { guardedProxy, helloServer } from '../test/setup.js';

const t = new Teardown();
afterEach(() => t.run());

const ALICE = 'alice-key-0123456789abcdef';
const BOB = 'bob-key-0123456789abcdef00';
const keys = {
  apiKeys: [
    { id: 'alice', key: ALICE },
    { id: 'bob', key: BOB },
  ],
};
const as = (key: string) => ({ authorization: `Bearer ${key}` });
const listTools = { jsonrpc: '2.0', id: 2, method: 'tools/list' };

describe('a legacy session is bound to the principal that opened it', () => {
  it('streamable HTTP: another principal using the id gets 404 on POST, GET and DELETE; the owner goes on', async () => {
    const { http, proxy } = await guardedProxy(t, keys);
    const opened = await post(http.url, initialize(), as(ALICE));
    const sid = String(opened.headers['mcp-session-id']);
    const session = { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' };
    await post(http.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { ...as(ALICE), ...session });

    const stolen = await post(http.url, listTools, { ...as(BOB), ...session });
    expect(stolen.status).toBe(404);
    expect(stolen.json()).toMatchObject({ error: { code: -32001, message: 'Session not found' } });
    expect((await raw(http.url, { method: 'GET', headers: { ...as(BOB), ...session, accept: 'text/event-stream' } })).status).toBe(404);
    expect((await raw(http.url, { method: 'DELETE', headers: { ...as(BOB), ...session } })).status).toBe(404);
    // Without credentials it is 401 before any session is looked up.
    expect((await post(http.url, listTools, session)).status).toBe(401);

    expect(proxy.sessions.size).toBe(1);
    const mine = await post(http.url, listTools, { ...as(ALICE), ...session });
    expect(mine.status).toBe(200);
    expect(mine.text).toContain('"hello"');
  });

  it('legacy SSE: a POST to another principal’s stream is 404; the owner’s is 202', async () => {
    const proxy = createProxy({ upstreams: [memoryUpstream('up', helloServer)] });
    t.add(() => proxy.close());
    const sse = await serveSse(proxy, { auth: createAuthenticator(keys) });
    t.add(() => sse.close());
    expect((await raw(sse.url, { method: 'GET' })).status).toBe(401);
    const stream = await openSse(sse.url, { headers: as(ALICE) });
    t.add(async () => stream.drop());
    expect(stream.status).toBe(200);
    const endpoint = (await stream.next())?.data ?? '';
    expect(endpoint).toMatch(/^\/messages\?sessionId=/);
    const url = new URL(endpoint, sse.url).href;
    expect((await post(url, initialize(1, '2024-11-05'), as(BOB))).status).toBe(404);
    expect((await post(url, initialize(1, '2024-11-05'), {})).status).toBe(401);
    expect((await post(url, initialize(1, '2024-11-05'), as(ALICE))).status).toBe(202);
    const answer = await stream.message((m) => m.id === 1);
    expect(answer).toMatchObject({ result: { serverInfo: { name: 'upstream' } } });
  });
});

describe('the principal on every request, in both eras', () => {
  it('a modern request carries its own principal: two clients at once each see their own', async () => {
    const upstream = modernUpstream('up', { capabilities: { tools: {} } }, () => toolList(['hello']));
    const { http, seen } = await guardedProxy(t, keys, { upstream });
    const [a, b] = await Promise.all([
      postModern(http.url, 'tools/list', {}, { headers: as(ALICE) }),
      postModern(http.url, 'tools/list', {}, { headers: { 'x-api-key': BOB } }),
    ]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(seen.map((s) => s.principal?.id).sort()).toEqual(['alice', 'bob']);
    expect((await postModern(http.url, 'tools/list')).status).toBe(401);
  });

  it('every request of a legacy session carries the principal that opened it', async () => {
    const { http, seen } = await guardedProxy(t, keys);
    const opened = await post(http.url, initialize(), as(ALICE));
    const session = { 'mcp-session-id': String(opened.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25', accept: MCP_ACCEPT };
    await post(http.url, listTools, { ...as(ALICE), ...session });
    expect(seen.map((s) => [s.method, s.principal?.id])).toEqual([
      ['initialize', 'alice'],
      ['tools/list', 'alice'],
    ]);
  });
});
