import { afterEach, describe, expect, it } from 'vitest';
import { initialize, MCP_ACCEPT, openSse, post, Teardown } from '@mcproxy/testing';
import { serveProxy } from '../../../test/setup.js';

const t = new Teardown();
afterEach(() => t.run());

async function session(url: string, version = '2025-11-25'): Promise<Record<string, string>> {
  const init = await post(url, initialize(1, version));
  const id = String(init.headers['mcp-session-id']);
  await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { 'mcp-session-id': id, 'mcp-protocol-version': version });
  return { 'mcp-session-id': id, 'mcp-protocol-version': version };
}

const call = (id: number, name: string, meta?: Record<string, unknown>) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {}, ...(meta ? { _meta: meta } : {}) } });

const postSse = (url: string, body: string, headers: Record<string, string>) =>
  openSse(url, { method: 'POST', body, headers: { ...headers, accept: MCP_ACCEPT, 'content-type': 'application/json' } });

describe('the POST hot path', () => {
  it('answers a quick call with plain JSON carrying the session id', async () => {
    const { http } = await serveProxy(t);
    const headers = await session(http.url);
    const res = await post(http.url, JSON.parse(call(7, 'hello')), headers);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['mcp-session-id']).toBe(headers['mcp-session-id']);
    expect(res.json()).toMatchObject({ jsonrpc: '2.0', id: 7, result: { content: [{ text: 'hello from upstream' }] } });
  });

  it('turns into an event stream, priming event first, when messages come before the answer', async () => {
    const { http } = await serveProxy(t);
    const headers = await session(http.url);
    const stream = await postSse(http.url, call(8, 'count', { progressToken: 'tok' }), headers);
    expect(stream.headers['content-type']).toBe('text/event-stream');
    const priming = await stream.next();
    expect(priming).toMatchObject({ data: '', retry: 1000, id: expect.any(String) });
    const events = [];
    for (let e = await stream.next(); e !== undefined; e = await stream.next()) events.push(JSON.parse(e.data) as Record<string, unknown>);
    expect(events.map((e) => e.method ?? 'answer')).toEqual(['notifications/progress', 'notifications/progress', 'notifications/progress', 'answer']);
    expect(events[3]).toMatchObject({ id: 8 });
  });

  it('streams a slow answer, and sends no priming event to clients older than 2025-11-25', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const { http } = await serveProxy(t, { hooks: { gate: () => gate }, http: { streamAfterMs: 10 } });
    const headers = await session(http.url, '2025-06-18');
    const stream = await postSse(http.url, call(9, 'wait'), headers);
    expect(stream.headers['content-type']).toBe('text/event-stream');
    open();
    const first = await stream.next();
    expect(JSON.parse(first?.data ?? '{}')).toMatchObject({ id: 9, result: { content: [{ text: 'waited' }] } });
    expect(await stream.next()).toBeUndefined();
  });

  it('resumes a dropped stream with Last-Event-ID and delivers the answer there', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const { http } = await serveProxy(t, { hooks: { gate: () => gate }, http: { streamAfterMs: 0 } });
    const headers = await session(http.url);
    const first = await postSse(http.url, call(10, 'wait'), headers);
    const priming = await first.next();
    first.drop();
    const resumed = await openSse(http.url, { headers: { ...headers, accept: 'text/event-stream', 'last-event-id': String(priming?.id) } });
    expect(resumed.status).toBe(200);
    open();
    const answer = await resumed.message((m) => m.id === 10);
    expect(answer).toMatchObject({ result: { content: [{ text: 'waited' }] } });
  });

  it('takes notifications with 202, and leaves requests it does not serve to the SDK transport', async () => {
    const { http } = await serveProxy(t);
    const headers = await session(http.url);
    const note = await post(http.url, { jsonrpc: '2.0', method: 'notifications/roots/list_changed' }, headers);
    expect(note.status).toBe(202);
    const bad = await post(http.url, JSON.parse(call(11, 'hello')), { ...headers, 'mcp-protocol-version': '1999-01-01' });
    expect(bad.status).toBe(400);
    const again = await post(http.url, initialize(12), headers);
    expect(again.status).toBe(400);
  });
});
