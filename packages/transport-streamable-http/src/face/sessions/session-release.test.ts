import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { LinkMode, Proxy } from '@mcproxy/core';
import { afterEach, describe, expect, it } from 'vitest';
import { initialize, MCP_ACCEPT, openSse, post, raw, Teardown, until } from '@mcproxy/testing';
import { serveProxy } from '../../../test/setup.js';

// A full collection on demand, without starting the worker with --expose-gc.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const t = new Teardown();
afterEach(() => t.run());

const SESSIONS = 8;

/** What a closed session must not leave behind: core's Session, our channel, the SDK transport. */
interface Held {
  refs: Array<WeakRef<object>>;
  headers: Array<Record<string, string>>;
}

/**
 * Opens sessions as a client does (initialize, initialized, a list and a call
 * with progress), optionally with a GET stream, and keeps only weak
 * references to what the server made for each. In a function of its own so
 * no local variable of the test keeps one alive.
 */
async function openSessions(url: string, proxy: Proxy, withGet: boolean): Promise<Held> {
  const held: Held = { refs: [], headers: [] };
  for (let i = 0; i < SESSIONS; i++) {
    const init = await post(url, initialize(1));
    expect(init.status).toBe(200);
    const id = String(init.headers['mcp-session-id']);
    const headers = { 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' };
    await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers);
    expect((await post(url, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, headers)).status).toBe(200);
    const call = { name: 'count', arguments: {}, _meta: { progressToken: 'p' } };
    expect((await post(url, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: call }, headers)).status).toBe(200);
    if (withGet) {
      const stream = await openSse(url, { headers: { ...headers, accept: 'text/event-stream' } });
      expect(stream.status).toBe(200);
    }
    const session = [...proxy.sessions].find((s) => s.id === id);
    if (session === undefined) throw new Error(`no core session ${id}`);
    const channel = (session.peer as unknown as { opts: { channel: { transport: object } } }).opts.channel;
    held.refs.push(new WeakRef(session), new WeakRef(channel), new WeakRef(channel.transport));
    held.headers.push(headers);
  }
  return held;
}

/** Collects until every reference is cleared, or gives up after a bounded number of rounds. */
async function survivors(refs: Array<WeakRef<object>>): Promise<number> {
  let alive = refs.length;
  for (let round = 0; round < 20 && alive > 0; round++) {
    // A few event-loop turns first: closing finishes in callbacks and microtasks.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 5));
    gc();
    alive = refs.filter((r) => r.deref() !== undefined).length;
  }
  return alive;
}

describe('a closed session is released', () => {
  for (const mode of ['shared', 'per-session'] as LinkMode[]) {
    it(`after DELETE (${mode} upstream)`, async () => {
      const { http, proxy } = await serveProxy(t, { mode });
      const held = await openSessions(http.url, proxy, false);
      for (const headers of held.headers) {
        expect((await raw(http.url, { method: 'DELETE', headers: { ...headers, accept: MCP_ACCEPT } })).status).toBe(200);
      }
      expect(proxy.sessions.size).toBe(0);
      expect(await survivors(held.refs)).toBe(0);
    });
  }

  it('after DELETE with a GET stream still open', async () => {
    const { http, proxy } = await serveProxy(t, { mode: 'shared' });
    const held = await openSessions(http.url, proxy, true);
    for (const headers of held.headers) {
      expect((await raw(http.url, { method: 'DELETE', headers: { ...headers, accept: MCP_ACCEPT } })).status).toBe(200);
    }
    expect(await survivors(held.refs)).toBe(0);
  });

  it('after the idle timer closes it', async () => {
    const { http, proxy } = await serveProxy(t, { mode: 'shared', http: { sessionIdleMs: 20 } });
    const held = await openSessions(http.url, proxy, false);
    await until(() => proxy.sessions.size === 0, 'the idle sessions to close');
    expect(await survivors(held.refs)).toBe(0);
  });
});
