import { createHmac } from 'node:crypto';
import { META } from '@mcproxy/core';
import { afterEach, describe, expect, it } from 'vitest';
import { initialize, MCP_ACCEPT, openSse, post, Teardown } from '@mcproxy/testing';
import { serveProxy, type Served } from '../../../test/setup.js';
import type { HttpAuthenticator } from '../../http/front.js';
import type { Replica, SessionDirectory, SessionEntry, SharedEvent, SharedEvents } from './directory.js';
import { FORWARDED_HEADER } from './forward.js';

const t = new Teardown();
afterEach(() => t.run());

/** The store every replica of a test shares: entries, leases (a replica is alive while in `alive`) and events, in memory. */
class Store implements SharedEvents {
  readonly entries = new Map<string, SessionEntry>();
  readonly alive = new Map<string, string>();
  readonly events = new Map<string, SharedEvent[]>();
  readonly states = new Map<string, string>();
  lookups = 0;
  /** Set: every read of the directory fails as a store that cannot be reached does. */
  down: Error | undefined;

  directory(self: Replica): SessionDirectory {
    const store = this;
    store.alive.set(self.id, self.url);
    const mac = (sessionId: string, ts: string) => createHmac('sha256', 'shared').update(`${sessionId}.${ts}`).digest('base64url');
    return {
      self,
      async open(entry) {
        store.entries.set(entry.id, entry);
      },
      async lookup(id) {
        store.lookups++;
        if (store.down !== undefined) throw store.down;
        return store.entries.get(id);
      },
      async others() {
        return [...store.alive].filter(([id]) => id !== self.id).map(([id, url]) => ({ id, url }));
      },
      async replica(id) {
        if (store.down !== undefined) throw store.down;
        const url = store.alive.get(id);
        return url === undefined ? undefined : { id, url };
      },
      async claim(id, from) {
        const entry = store.entries.get(id);
        if (entry === undefined || entry.owner !== from) return false;
        store.entries.set(id, { ...entry, owner: self.id });
        return true;
      },
      async release(id) {
        const entry = store.entries.get(id);
        if (entry?.owner === self.id) store.entries.set(id, { ...entry, owner: '' });
      },
      async close(id) {
        store.entries.delete(id);
      },
      async touch() {},
      async holdState(hash) {
        store.states.set(hash, self.id);
      },
      async stateHolder(hash) {
        return store.states.get(hash);
      },
      forwardToken: (id) => {
        const ts = String(Date.now());
        return `${ts}.${mac(id, ts)}`;
      },
      verifyForward: (id, token) => {
        const [ts = '', given] = token.split('.');
        return given === mac(id, ts) && Date.now() - Number(ts) < 30_000;
      },
    };
  }

  async append(sessionId: string, event: SharedEvent) {
    this.events.set(sessionId, [...(this.events.get(sessionId) ?? []), event]);
  }
  async load(sessionId: string) {
    return this.events.get(sessionId) ?? [];
  }
  async drop(sessionId: string) {
    this.events.delete(sessionId);
  }
}

/** Two replicas of one proxy on two ports, sharing `store`. */
async function replicas(store: Store, streamAfterMs?: number, gate?: () => Promise<void>, auth?: HttpAuthenticator): Promise<[Served, Served]> {
  const made: Served[] = [];
  for (const id of ['a', 'b']) {
    // The port is known only once listening; the directory is asked for it only when forwarding.
    const self = { id, url: '' };
    const served = await serveProxy(t, {
      hooks: { gate },
      http: { auth, streamAfterMs, replicas: { directory: store.directory(self), events: store, leaseMs: 300 } },
    });
    (self as { url: string }).url = new URL(served.http.url).origin;
    store.alive.set(id, self.url);
    made.push(served);
  }
  return made as [Served, Served];
}

async function openOn(served: Served): Promise<Record<string, string>> {
  const init = await post(served.http.url, initialize(1));
  expect(init.status).toBe(200);
  const headers = { 'mcp-session-id': String(init.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' };
  expect((await post(served.http.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers)).status).toBe(202);
  return headers;
}

const call = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'hello', arguments: {} } });
const sessionsOf = (served: Served) => [...served.proxy.sessions].map((s) => s.id);

describe('a session served by several replicas', () => {
  it('is recorded where it opened, and a request that lands on another replica is answered by the one that holds it', async () => {
    const store = new Store();
    const [a, b] = await replicas(store);
    const headers = await openOn(a);
    const id = headers['mcp-session-id']!;
    expect(store.entries.get(id)).toMatchObject({ id, owner: 'a', initialize: { method: 'initialize' } });
    const answer = await post(b.http.url, call(2), headers);
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('hello from upstream');
    // One upstream session, on the owner: the other replica made nothing.
    expect(sessionsOf(a)).toContain(id);
    expect(sessionsOf(b)).not.toContain(id);
    expect(a.upstreams).toHaveLength(1);
    expect(b.upstreams).toHaveLength(0);
    // A busy session's next calls take what the store said a moment ago: no lookup each.
    const before = store.lookups;
    for (let i = 0; i < 5; i++) expect((await post(b.http.url, call(10 + i), headers)).status).toBe(200);
    expect(store.lookups - before).toBeLessThanOrEqual(1);
  });

  it('is taken over, with the same id, when its owner is gone, and ends for good on DELETE', async () => {
    const store = new Store();
    const [a, b] = await replicas(store);
    const headers = await openOn(a);
    const id = headers['mcp-session-id']!;
    // Killed: it answers nothing, its lease lapses, and its entry stays as it was (a kill cleans nothing up).
    const entry = store.entries.get(id)!;
    store.alive.delete('a');
    await a.http.close();
    store.entries.set(id, entry);
    const answer = await post(b.http.url, call(3), headers);
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('hello from upstream');
    expect(sessionsOf(b)).toContain(id);
    expect(store.entries.get(id)?.owner).toBe('b');
    // The new upstream session was opened with what the client said in its initialize.
    expect(b.upstreams).toHaveLength(1);
    expect(b.upstreams[0]!.server.getClientVersion()?.name).toBe((initialize(1).params as { clientInfo: { name: string } }).clientInfo.name);
    const { raw } = await import('@mcproxy/testing');
    const deleted = await raw(b.http.url, { method: 'DELETE', headers });
    expect(deleted.status).toBe(200);
    expect(store.entries.has(id)).toBe(false);
  });

  it('is handed over by a replica that drains, and resumes on the next', async () => {
    const store = new Store();
    const [a, b] = await replicas(store);
    const headers = await openOn(a);
    const id = headers['mcp-session-id']!;
    await a.http.release(1000);
    expect(store.entries.get(id)?.owner).toBe('');
    expect(sessionsOf(a)).not.toContain(id);
    // A request still reaching the draining replica (its load balancer has not noticed yet) is handed to a live one, which takes the session.
    const answer = await post(a.http.url, call(4), headers);
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('hello from upstream');
    expect(store.entries.get(id)?.owner).toBe('b');
    expect(sessionsOf(a)).not.toContain(id);
    expect((await post(b.http.url, call(5), headers)).status).toBe(200);
  });

  it('refuses a client that poses as a replica, and a session nobody holds is 404', async () => {
    const store = new Store();
    const [a, b] = await replicas(store);
    const headers = await openOn(a);
    const forged = await post(b.http.url, call(6), { ...headers, [FORWARDED_HEADER]: `${Date.now()}.AAAA` });
    expect(forged.status).toBe(403);
    const unknown = await post(b.http.url, call(7), { ...headers, 'mcp-session-id': '00000000-0000-4000-8000-000000000000' });
    expect(unknown.status).toBe(404);
    expect(b.upstreams).toHaveLength(0);
  });

  it('answers 503 naming the store when it cannot be reached, and opens no session', async () => {
    const store = new Store();
    const [a] = await replicas(store);
    const down = new Error('the session store (redis://127.0.0.1:1/0) cannot be reached: ECONNREFUSED');
    store.entries.set = () => {
      throw Object.assign(down, { name: 'StoreUnavailable' });
    };
    const { StoreUnavailable } = await import('./directory.js');
    Object.setPrototypeOf(down, StoreUnavailable.prototype);
    const init = await post(a.http.url, initialize(1));
    expect(init.status).toBe(503);
    expect(init.text).toContain('redis://127.0.0.1:1/0');
    expect(a.proxy.sessions.size).toBe(0);
  });

  it('sends a 2026-07-28 retry to the replica whose bridge holds the parked call, and serves it where it lands when that replica is gone', async () => {
    const store = new Store();
    const [a, b] = await replicas(store);
    const envelope = {
      [META.protocolVersion]: '2026-07-28',
      [META.clientInfo]: { name: 'replica-test', version: '1' },
      [META.clientCapabilities]: { sampling: {} },
    };
    const modern = { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'ask' };
    const ask = (id: number, extra: Record<string, unknown> = {}) => ({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name: 'ask', arguments: {}, ...extra, _meta: envelope },
    });
    const answerOf = (text: string, id: number) =>
      (text.startsWith('{') ? [text] : text.split('\n').flatMap((l) => (l.startsWith('data:') ? [l.slice(5).trim()] : [])))
        .map((t) => JSON.parse(t) as { id?: number; result?: Record<string, unknown> })
        .find((m) => m.id === id);
    const round = answerOf((await post(a.http.url, ask(1), modern)).text, 1)?.result as {
      resultType: string;
      requestState: string;
      inputRequests: Record<string, unknown>;
    };
    expect(round.resultType).toBe('input_required');
    expect([...store.states.values()]).toEqual(['a']);
    const inputResponses = Object.fromEntries(
      Object.keys(round.inputRequests).map((k) => [k, { role: 'assistant', content: { type: 'text', text: 'a replica' }, model: 'm' }]),
    );
    // The retry lands on b; the call is parked on a, which answers it.
    const retry = await post(b.http.url, ask(2, { requestState: round.requestState, inputResponses }), modern);
    expect(answerOf(retry.text, 2)?.result).toMatchObject({ content: [{ type: 'text', text: 'sampled: a replica' }] });
    // b opened no link of its own to the upstream: the whole round was a's.
    expect(b.upstreams).toHaveLength(0);

    // Another round; then a dies: the retry is answered where it lands, definitely (core does not hold that call).
    const again = answerOf((await post(a.http.url, ask(3), modern)).text, 3)?.result as { requestState: string };
    store.alive.delete('a');
    const late = await post(b.http.url, ask(4, { requestState: again.requestState, inputResponses }), modern);
    const settled = answerOf(late.text, 4) as { result?: unknown; error?: { message: string } };
    expect(settled.error ?? settled.result).toBeDefined();
    expect(JSON.stringify(settled)).not.toContain('sampled: a replica');
  });

  it('resumes an event stream from Last-Event-ID on the replica that takes the session over: no gap, no repeat', async () => {
    const store = new Store();
    const [a, b] = await replicas(store, 0);
    const headers = await openOn(a);
    const id = headers['mcp-session-id']!;
    const counted = await openSse(a.http.url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', accept: MCP_ACCEPT },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'count', arguments: {}, _meta: { progressToken: 'p' } } }),
    });
    const seen: Array<{ id?: string; data: string }> = [];
    for (let e = await counted.next(); e !== undefined; e = await counted.next()) seen.push(e);
    // Priming, three progress notifications, the answer: every one in the store before the client saw it.
    expect(seen).toHaveLength(5);
    expect(
      store.events
        .get(id)
        ?.slice(-5)
        .map((e) => e.eventId),
    ).toEqual(seen.map((e) => e.id));
    const entry = store.entries.get(id)!;
    store.alive.delete('a');
    await a.http.close();
    store.entries.set(id, entry);
    // The client saw up to the first progress notification, and resumes on b.
    const resumed = await openSse(b.http.url, { headers: { ...headers, accept: 'text/event-stream', 'last-event-id': seen[1]!.id! } });
    expect(resumed.status).toBe(200);
    const rest: Array<{ id?: string; data: string }> = [];
    while (rest.length < 3) {
      const e = await resumed.next();
      if (e === undefined) break;
      rest.push(e);
    }
    resumed.drop();
    expect(rest.map((e) => e.id)).toEqual(seen.slice(2).map((e) => e.id));
    expect(rest.map((e) => e.data)).toEqual(seen.slice(2).map((e) => e.data));
  });

  it('lets a call in flight finish on the draining replica while a new one on the same session goes to another', async () => {
    const store = new Store();
    let open = () => {};
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    const [a, _b] = await replicas(store, undefined, () => opened);
    const headers = await openOn(a);
    const id = headers['mcp-session-id']!;
    const waiting = post(a.http.url, { jsonrpc: '2.0', id: 20, method: 'tools/call', params: { name: 'wait', arguments: {} } }, headers);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const released = a.http.release(5000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Let go in the store at once; the new call lands on the draining replica and is handed to b.
    expect(store.entries.get(id)?.owner).toBe('');
    const next = await post(a.http.url, call(21), headers);
    expect(next.text).toContain('hello from upstream');
    expect(store.entries.get(id)?.owner).toBe('b');
    expect(sessionsOf(a)).toContain(id);
    open();
    const finished = await waiting;
    expect(finished.status).toBe(200);
    expect(finished.text).toContain('waited');
    await released;
    expect(sessionsOf(a)).not.toContain(id);
    // Still b's: the drained replica's close did not end the session in the store.
    expect(store.entries.get(id)?.owner).toBe('b');
  });

  it('goes on forwarding a session it has seen to its owner while the store cannot be reached; one it never saw gets the store error', async () => {
    const { StoreUnavailable } = await import('./directory.js');
    const store = new Store();
    const [a, b] = await replicas(store);
    const seen = await openOn(a);
    const unseen = await openOn(a);
    expect((await post(b.http.url, call(30), seen)).status).toBe(200);
    store.down = new StoreUnavailable('the session store (redis://127.0.0.1:1/0) cannot be reached: ECONNREFUSED');
    const during = await post(b.http.url, call(31), seen);
    expect(during.status).toBe(200);
    expect(during.text).toContain('hello from upstream');
    const refused = await post(b.http.url, call(32), unseen);
    expect(refused.status).toBe(503);
    expect(refused.text).toContain('redis://127.0.0.1:1/0');
  });

  it('keeps a session its opener’s across replicas: another principal’s request for it is 404 on every replica, and opens nothing', async () => {
    const store = new Store();
    // Each API key is a principal of its own.
    const auth: HttpAuthenticator = {
      documents: new Map(),
      authenticate: async (headers) => {
        const key = headers['x-api-key'];
        if (key !== 'ann-key' && key !== 'ben-key') return { ok: false, status: 401, headers: {}, message: 'no key', reason: 'missing' };
        return { ok: true, principal: { id: key.slice(0, 3), kind: 'api-key', scopes: [], claims: {} } };
      },
    };
    const [a, b] = await replicas(store, undefined, undefined, auth);
    const init = await post(a.http.url, initialize(1), { 'x-api-key': 'ann-key' });
    expect(init.status).toBe(200);
    const session = { 'mcp-session-id': String(init.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' };
    const ann = { ...session, 'x-api-key': 'ann-key' };
    const ben = { ...session, 'x-api-key': 'ben-key' };
    expect((await post(a.http.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, ann)).status).toBe(202);
    expect(store.entries.get(session['mcp-session-id'])?.principal).toMatchObject({ id: 'ann', kind: 'api-key' });
    // Ann's calls work through either replica, and at the same time.
    const both = await Promise.all([post(a.http.url, call(40), ann), post(b.http.url, call(41), ann), post(b.http.url, call(42), ann)]);
    expect(both.map((r) => r.status)).toEqual([200, 200, 200]);
    // Ben holds the id and a key of his own: nothing, on either replica, even once the owner is gone.
    expect((await post(b.http.url, call(43), ben)).status).toBe(404);
    expect((await post(a.http.url, call(44), ben)).status).toBe(404);
    const entry = store.entries.get(session['mcp-session-id'])!;
    store.alive.delete('a');
    await a.http.close();
    store.entries.set(session['mcp-session-id'], entry);
    expect((await post(b.http.url, call(45), ben)).status).toBe(404);
    expect(b.upstreams).toHaveLength(0);
    // Ann's next call is taken over by b, as hers.
    const taken = await post(b.http.url, call(46), ann);
    expect(taken.status).toBe(200);
    expect(store.entries.get(session['mcp-session-id'])?.owner).toBe('b');
  });
});
