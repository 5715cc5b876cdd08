import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createChannelPair, createProxy, ProxyErrorCode, silentLogger, type Principal, type Proxy, type RateBuckets } from '@mcproxy/core';
import { asTransport, memoryUpstream } from '@mcproxy/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { RootsListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { Buckets, createRateLimit, rateLimit, rateLimitOptionsSchema, type RateLimitOptions } from './index.js';

let proxies: Proxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  proxies = [];
});

const upstream = (): McpServer => {
  const s = new McpServer({ name: 'up', version: '1.0.0' });
  for (const name of ['search_docs', 'search_code', 'deploy', 'hello']) s.registerTool(name, {}, async () => ({ content: [{ type: 'text', text: name }] }));
  return s;
};

const principal = (id: string): Principal => ({ id, kind: 'api-key', scopes: [], claims: {} });

/** A proxy limited by `options` on a clock the test moves, and a client per principal. */
async function setup(options: RateLimitOptions, server: () => McpServer = upstream) {
  let now = 1_000_000;
  const proxy = createProxy({
    upstreams: [memoryUpstream('up', server)],
    middleware: [createRateLimit(rateLimitOptionsSchema.parse(options), silentLogger, () => now)],
  });
  proxies.push(proxy);
  const client = async (id: string | undefined): Promise<Client> => {
    const [ours, theirs] = createChannelPair();
    await proxy.accept(ours, undefined, id === undefined ? {} : { principal: principal(id) });
    const c = new Client({ name: 'c', version: '1' }, { capabilities: { roots: { listChanged: true } } });
    await c.connect(asTransport(theirs));
    return c;
  };
  const call = (c: Client, name: string) =>
    c.callTool({ name, arguments: {} }).then(
      () => 'ok',
      (err: { code?: number; data?: { retryAfterMs?: number; limit?: string } }) => ({ code: err.code, ...err.data }),
    );
  return { client, call, advance: (ms: number) => (now += ms) };
}

describe('rate-limit', () => {
  it('refuses past the burst with -32018 and the time to retry, and lets requests in again once it has passed', async () => {
    const { client, call, advance } = await setup({ principal: { rate: 2, per: 'second', burst: 3 } });
    // initialize took one of alice's three tokens.
    const alice = await client('alice');
    expect(await call(alice, 'hello')).toBe('ok');
    expect(await call(alice, 'hello')).toBe('ok');
    const refused = await call(alice, 'hello');
    expect(refused).toMatchObject({ code: ProxyErrorCode.RateLimited, limit: 'principal', subject: 'api-key:alice', retryAfterMs: 500 });
    advance(499);
    expect(await call(alice, 'hello')).toMatchObject({ code: ProxyErrorCode.RateLimited, retryAfterMs: 1 });
    advance(1);
    expect(await call(alice, 'hello')).toBe('ok');
  });

  it('keeps one bucket per principal: one team spending its budget leaves the other alone', async () => {
    const { client, call } = await setup({ principal: { rate: 1, per: 'minute', burst: 2 } });
    const [alice, bob] = await Promise.all([client('alice'), client('bob')]);
    expect(await call(alice, 'hello')).toBe('ok');
    expect(await call(alice, 'hello')).toMatchObject({ code: ProxyErrorCode.RateLimited, retryAfterMs: 60_000 });
    expect(await call(bob, 'hello')).toBe('ok');
  });

  it('limits tools by glob, per principal or across everyone, and takes nothing from a request it refuses', async () => {
    const { client, call, advance } = await setup({
      principal: { rate: 100, per: 'second', burst: 100 },
      tools: [
        { match: 'search_*', rate: 1, per: 'second' },
        { match: 'deploy', rate: 1, per: 'hour', across: 'all' },
      ],
    });
    const [alice, bob] = await Promise.all([client('alice'), client('bob')]);
    expect(await call(alice, 'search_docs')).toBe('ok');
    expect(await call(alice, 'search_code')).toMatchObject({ limit: 'tool', subject: 'search_*', retryAfterMs: 1000 });
    expect(await call(bob, 'search_code')).toBe('ok');
    expect(await call(alice, 'hello')).toBe('ok');
    expect(await call(bob, 'deploy')).toBe('ok');
    expect(await call(alice, 'deploy')).toMatchObject({ limit: 'tool', subject: 'deploy', retryAfterMs: 3_600_000 });
    advance(1000);
    expect(await call(alice, 'search_code')).toBe('ok');
  });

  it('limits everything routed to an upstream, for everyone together; unauthenticated sessions share one bucket', async () => {
    const { client, call } = await setup({ upstreams: { up: { rate: 3, per: 'minute' } } });
    const [a, b] = await Promise.all([client(undefined), client(undefined)]);
    // Two initializes took two of three.
    expect(await call(a, 'hello')).toBe('ok');
    expect(await call(b, 'hello')).toMatchObject({ limit: 'upstream', subject: 'up' });
  });

  it('says what is wrong with its options', async () => {
    await expect(async () => rateLimit({}, { log: silentLogger })).rejects.toThrow(/give principal, tools or upstreams/);
    await expect(async () => rateLimit({ principal: { rate: 0 } }, { log: silentLogger })).rejects.toThrow(/principal\.rate/);
    await expect(async () => rateLimit({ principal: { rate: 1, per: 'day' } }, { log: silentLogger })).rejects.toThrow(/principal\.per/);
  });
});

describe('a store of buckets given in the environment', () => {
  it('is where the limiter takes its tokens, and its refusal is answered', async () => {
    const asked: string[][] = [];
    const store: RateBuckets = {
      size: 0,
      take(wanted) {
        asked.push(wanted.map((w) => w.key));
        // initialize passes; the tools/call after it is refused.
        return asked.length > 2 ? { waitMs: 250, blocking: 0 } : { waitMs: 0 };
      },
    };
    const proxy = createProxy({
      upstreams: [memoryUpstream('up', upstream)],
      middleware: [await rateLimit({ principal: { rate: 100 } }, { log: silentLogger, buckets: store })],
    });
    proxies.push(proxy);
    const [ours, theirs] = createChannelPair();
    await proxy.accept(ours, undefined, { principal: principal('alice') });
    const c = new Client({ name: 'c', version: '1' });
    await c.connect(asTransport(theirs));
    await expect(c.callTool({ name: 'hello', arguments: {} })).rejects.toMatchObject({ code: ProxyErrorCode.RateLimited, data: { retryAfterMs: 250 } });
    // initialize, initialized (a notification: its own bucket, and the principal's only after the handshake), the call.
    expect(asked).toEqual([['p\0api-key:alice'], ['n\0api-key:alice'], ['p\0api-key:alice']]);
  });
});

describe('Buckets', () => {
  it('keeps at most max buckets, dropping a full one first', () => {
    let now = 0;
    const buckets = new Buckets(2, () => now);
    const slow = { perMs: 1 / 60_000, size: 1 };
    const fast = { perMs: 1, size: 1 };
    expect(buckets.take([{ key: 'slow', shape: slow }]).waitMs).toBe(0);
    expect(buckets.take([{ key: 'fast', shape: fast }]).waitMs).toBe(0);
    now += 10;
    expect(buckets.take([{ key: 'third', shape: slow }]).waitMs).toBe(0);
    expect(buckets.size).toBe(2);
    // "fast" had filled up again and was dropped; "slow" is still empty.
    expect(buckets.take([{ key: 'slow', shape: slow }]).waitMs).toBeGreaterThan(59_000);
  });

  it('drops client notifications past the notification limit, even with only tool limits, and lets them through again later', async () => {
    let heard = 0;
    const counting = (): McpServer => {
      const s = upstream();
      s.server.setNotificationHandler(RootsListChangedNotificationSchema, () => {
        heard += 1;
      });
      return s;
    };
    const { client, call, advance } = await setup(
      { tools: [{ match: 'deploy', rate: 1, per: 'hour' }], notifications: { rate: 1, per: 'second', burst: 5 } },
      counting,
    );
    const alice = await client('alice');
    for (let i = 0; i < 50; i++) await alice.sendRootsListChanged();
    // A request after them on the same session arrives after them: what passed has been heard.
    expect(await call(alice, 'hello')).toBe('ok');
    // initialized took one of the five.
    expect(heard).toBe(4);
    advance(1000);
    await alice.sendRootsListChanged();
    expect(await call(alice, 'hello')).toBe('ok');
    expect(heard).toBe(5);
  });
});
