import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  createChannelPair,
  createProxy,
  MODERN_VERSION,
  ProxyErrorCode,
  type Channel,
  type Message,
  type MessageExtra,
  type Params,
  type Principal,
  type Proxy,
  type Reply,
} from '@mcproxy/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { asTransport, memoryUpstream, type MemoryUpstream } from '../memory.js';
import { modernClient, type ModernClient } from '../modern-memory.js';
import { createLegacyPushServer, type PushRecord } from './legacy-push-server.js';
import { createRootsCacheServer } from './roots-cache-server.js';

let proxy: Proxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

const key = (id: string): Principal => ({ id, kind: 'api-key', scopes: [], claims: {} });
const text = (reply: Reply): string => ((reply.result?.content as Array<{ text: string }>) ?? [])[0]?.text ?? JSON.stringify(reply);
const requestsOf = (reply: Reply): Record<string, { method: string; params?: Params }> => reply.result?.inputRequests as never;

/**
 * A wire like stdio's: nothing says which of our requests a message
 * belongs to (the relation the in-memory pair carries is dropped).
 */
function unrelated(spec: MemoryUpstream): MemoryUpstream {
  const connect = spec.connect.bind(spec);
  return Object.assign(spec, {
    async connect(): Promise<Channel> {
      const inner = await connect();
      const outer: Channel = {
        start: () => inner.start(),
        send: (m, o) => inner.send(m, o),
        close: () => inner.close(),
      };
      inner.onmessage = (m: Message, _extra?: MessageExtra) => outer.onmessage?.(m);
      inner.onclose = (info) => outer.onclose?.(info);
      inner.onerror = (err) => outer.onerror?.(err);
      return outer;
    },
  });
}

async function legacyClientAs(p: Proxy, principal: Principal, root: string): Promise<Client> {
  const [ours, theirs] = createChannelPair();
  await p.accept(ours, undefined, { principal });
  const client = new Client({ name: `client-${principal.id}`, version: '1.0.0' }, { capabilities: { roots: {} } });
  const { ListRootsRequestSchema } = await import('@modelcontextprotocol/sdk/types.js');
  client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: [{ uri: root }] }));
  await client.connect(asTransport(theirs));
  return client;
}

/** A modern call that answers every roots/list round with `root` until the call completes. */
async function modernRoots(client: ModernClient, root: string): Promise<string> {
  const caps = { roots: {} };
  let reply = await client.request('tools/call', { name: 'my_roots', arguments: {} }, caps).reply;
  for (let round = 0; reply.result?.resultType === 'input_required' && round < 4; round++) {
    const answers = Object.fromEntries(Object.keys(requestsOf(reply)).map((k) => [k, { roots: [{ uri: root }] }]));
    reply = await client.request('tools/call', { name: 'my_roots', arguments: {}, requestState: reply.result.requestState, inputResponses: answers }, caps)
      .reply;
  }
  return text(reply);
}

describe('an upstream session is never shared across principals', () => {
  it('2025-era sessions of two principals on a shared upstream each get their own link, and their own roots', async () => {
    const up = unrelated(memoryUpstream('fs', createRootsCacheServer, 'shared'));
    proxy = createProxy({ upstreams: [up] });
    const alice = await legacyClientAs(proxy, key('alice'), 'file:///home/alice/rootA');
    const bob = await legacyClientAs(proxy, key('bob'), 'file:///home/bob/rootB');
    expect(text({ result: await alice.callTool({ name: 'my_roots', arguments: {} }) } as Reply)).toBe('file:///home/alice/rootA');
    expect(text({ result: await bob.callTool({ name: 'my_roots', arguments: {} }) } as Reply)).toBe('file:///home/bob/rootB');
    // Alice's second session shares her link (mode: shared), not Bob's.
    const alice2 = await legacyClientAs(proxy, key('alice'), 'file:///home/alice/other');
    expect(text({ result: await alice2.callTool({ name: 'my_roots', arguments: {} }) } as Reply)).toBe('file:///home/alice/rootA');
    expect(up.opened).toBe(2);
  });

  it('2026-07-28 requests of two principals through the bridge each reach an upstream session of their own', async () => {
    const up = unrelated(memoryUpstream('fs', createRootsCacheServer, 'shared'));
    proxy = createProxy({ upstreams: [up] });
    const alice = await modernClient(proxy, undefined, key('alice'));
    const bob = await modernClient(proxy, undefined, key('bob'));
    expect(await modernRoots(alice, 'file:///home/alice/rootA')).toBe('file:///home/alice/rootA');
    expect(await modernRoots(bob, 'file:///home/bob/rootB')).toBe('file:///home/bob/rootB');
    // The probe's link, one bridge link per principal, and one opened ahead for the next.
    expect(up.opened).toBe(4);
  });
});

describe("a principal's shared link", () => {
  it('counts against maxLinks (one process per principal), and closes a minute after its last session left', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const up = memoryUpstream('fs', createRootsCacheServer, 'shared');
      proxy = createProxy({ upstreams: [{ ...up, connect: () => up.connect(), maxLinks: 1 }] });
      const alice = await legacyClientAs(proxy, key('alice'), 'file:///a');
      const refused = await legacyClientAs(proxy, key('bob'), 'file:///b')
        .then((c) => c.listTools())
        .then(
          () => 'listed',
          (err: Error) => err.message,
        );
      expect(refused).toMatch(/one process per principal and 1 are running/);
      await alice.close();
      await vi.advanceTimersByTimeAsync(61_000);
      expect(up.opened).toBe(1);
      // Alice's link closed while idle: Bob now gets one.
      const bob = await legacyClientAs(proxy, key('bob'), 'file:///b');
      expect(text({ result: await bob.callTool({ name: 'my_roots', arguments: {} }) } as Reply)).toBe('file:///b');
      expect(up.opened).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('concurrent 2026-07-28 calls through a 2025-era upstream whose wire does not relate messages (stdio)', () => {
  it('each call gets its own pushes answered: a link per call in flight, reused afterwards', async () => {
    const record: PushRecord = { cancelled: [], refused: [] };
    const up = unrelated(memoryUpstream('old', () => createLegacyPushServer(record), 'shared'));
    proxy = createProxy({ upstreams: [up] });
    const client = await modernClient(proxy);
    const caps = { elicitation: {} };
    const names = ['Ada', 'Grace', 'Edsger', 'Barbara', 'Alan', 'Donald', 'Frances', 'Ken'];
    const firsts = await Promise.all(names.map(() => client.request('tools/call', { name: 'ask_name', arguments: {} }, caps).reply));
    for (const first of firsts) expect(first.result?.resultType).toBe('input_required');
    const done = await Promise.all(
      firsts.map((first, i) => {
        const [k] = Object.keys(requestsOf(first));
        const inputResponses = { [k!]: { action: 'accept', content: { name: names[i] } } };
        return client.request('tools/call', { name: 'ask_name', arguments: {}, requestState: first.result?.requestState, inputResponses }, caps).reply;
      }),
    );
    expect(done.map(text)).toEqual(names.map((n) => `Hello, ${n}!`));
    expect(record.refused).toEqual([]);
    const opened = up.opened;
    // The probe's link, one per call, and the spare opened ahead.
    expect(opened).toBe(1 + names.length + 1);
    // Calls one after another reuse the links.
    for (let i = 0; i < 3; i++)
      expect((await client.request('tools/call', { name: 'ask_name', arguments: {} }, caps).reply).result?.resultType).toBe('input_required');
    expect(up.opened).toBe(opened);
  });

  it("bounds each principal's links: a call past its share waits, then gets -32016 naming the limit, while another principal's call goes on", async () => {
    const up = unrelated(memoryUpstream('old', () => createLegacyPushServer(), 'shared'));
    proxy = createProxy({ upstreams: [up], limits: { bridgeLinks: 4, bridgeLinksPerPrincipal: 1 }, timeouts: { requestMs: 300 } });
    const bob = await modernClient(proxy, undefined, key('bob'));
    const alice = await modernClient(proxy, undefined, key('alice'));
    const caps = { elicitation: {} };
    const parked = await bob.request('tools/call', { name: 'ask_name', arguments: {} }, caps).reply;
    expect(parked.result?.resultType).toBe('input_required');
    const refused = await bob.request('tools/call', { name: 'ask_name', arguments: {} }, caps).reply;
    expect(refused.error).toMatchObject({ code: ProxyErrorCode.LimitExceeded, data: { limit: 'bridgeLinksPerPrincipal', value: 1 } });
    const hers = await alice.request('tools/call', { name: 'ask_name', arguments: {} }, caps).reply;
    expect(hers.result?.resultType).toBe('input_required');
  });

  it("gives each principal a share of limits.parkedCalls: Bob's parked calls never take Alice's place", async () => {
    const record: PushRecord = { cancelled: [], refused: [] };
    const up = memoryUpstream('old', () => createLegacyPushServer(record), 'shared');
    proxy = createProxy({ upstreams: [up], limits: { parkedCalls: 4 } });
    const bob = await modernClient(proxy, undefined, key('bob'));
    const alice = await modernClient(proxy, undefined, key('alice'));
    const caps = { elicitation: {} };
    expect((await bob.request('tools/call', { name: 'ask_name', arguments: {} }, caps).reply).result?.resultType).toBe('input_required');
    // A quarter of 4 is Bob's share: his second call's push is refused, naming the limit.
    const second = await bob.request('tools/call', { name: 'ask_name', arguments: {} }, caps).reply;
    expect(JSON.stringify(second)).toContain('parkedCallsPerPrincipal');
    expect((await alice.request('tools/call', { name: 'ask_name', arguments: {} }, caps).reply).result?.resultType).toBe('input_required');
  });
});

describe('per-request capabilities toward a 2025-era server', () => {
  /** A server that checks what its session declared before it asks (as the SDKs' createMessage does). */
  function checkingServer(): McpServer {
    const server = new McpServer({ name: 'checks', version: '1.0.0' }, { capabilities: {} });
    server.registerTool('summarize', { description: 'Needs sampling.' }, async () => {
      const answer = await server.server.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 8 });
      return { content: [{ type: 'text', text: JSON.stringify(answer.content) }] };
    });
    return server;
  }

  it('a request that did not declare sampling reaches a session that did not either, and its failure becomes -32021 naming sampling', async () => {
    const up = memoryUpstream('old', checkingServer, 'shared');
    proxy = createProxy({ upstreams: [up] });
    const client = await modernClient(proxy);
    const refused = await client.request('tools/call', { name: 'summarize', arguments: {} }, { elicitation: {} }).reply;
    expect(refused.error).toMatchObject({ code: -32021, data: { requiredCapabilities: { sampling: {} } } });
    // With sampling declared, the same tool asks, in a round.
    const asked = await client.request('tools/call', { name: 'summarize', arguments: {} }, { sampling: {} }).reply;
    expect(Object.values(requestsOf(asked)).map((r) => r.method)).toEqual(['sampling/createMessage']);
  });
});

describe('logs from a 2026-07-28 upstream whose wire names no request', () => {
  /** A modern upstream over a wire like stdio's: it logs during a call with nothing that names the call. */
  function loggingModern(): { name: string; mode: 'shared'; connect(): Promise<Channel> } {
    return {
      name: 'py',
      mode: 'shared',
      async connect() {
        const [ours, theirs] = createChannelPair();
        theirs.onmessage = (m) => {
          if (!('method' in m) || !('id' in m)) return;
          const reply = (result: Params) => void theirs.send({ jsonrpc: '2.0', id: m.id, result } as Message);
          if (m.method === 'server/discover')
            return reply({ resultType: 'complete', supportedVersions: [MODERN_VERSION], capabilities: { tools: {}, logging: {} } });
          void (async () => {
            await theirs.send({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: `working on ${m.method}` } });
            reply({ resultType: 'complete', content: [{ type: 'text', text: 'done' }] });
          })();
        };
        await theirs.start();
        return ours;
      },
    };
  }

  it('reach the one call in flight, and are dropped (counted) when several could own them', async () => {
    proxy = createProxy({ upstreams: [loggingModern()] });
    const client = await modernClient(proxy);
    const done = await client.request('tools/call', { name: 'x', arguments: {}, _meta: { 'io.modelcontextprotocol/logLevel': 'debug' } }).reply;
    expect(text(done)).toBe('done');
    expect(client.notifications.filter((n) => n.method === 'notifications/message').map((n) => (n.params as Params).data)).toEqual(['working on tools/call']);
    const before = client.notifications.length;
    await Promise.all([client.request('tools/call', { name: 'x', arguments: {} }).reply, client.request('tools/call', { name: 'y', arguments: {} }).reply]);
    expect(client.notifications.length).toBe(before);
  });
});
