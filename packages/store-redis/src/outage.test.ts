import { createServer } from 'node:net';
import { StoreUnavailable } from '@mcproxy/transport-streamable-http';
import { logText, recordingLogger, settle, startRedis, until } from '@mcproxy/testing';
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { connectRedisStore } from './index.js';
import { realRedis } from '../test/real-redis.js';

const real = realRedis();
const { teardown } = real;

const initialize = { jsonrpc: '2.0' as const, id: 1, method: 'initialize', params: {} };

/** How long `p` took to settle, and how. */
async function timed<T>(p: Promise<T>) {
  const started = Date.now();
  const outcome = await settle(p);
  return { ms: Date.now() - started, error: outcome.ok ? undefined : outcome.error };
}

describe('the Redis store when Redis is not there', () => {
  it('has tests that fail, never skip, without redis-server, saying what to install', async () => {
    const before = process.env.REDIS_SERVER;
    process.env.REDIS_SERVER = '/nonexistent/redis-server';
    try {
      const started = await settle(startRedis());
      expect(started.ok).toBe(false);
      expect(String((started as { error: unknown }).error)).toContain('redis-server is not installed');
    } finally {
      if (before === undefined) delete process.env.REDIS_SERVER;
      else process.env.REDIS_SERVER = before;
    }
  });

  it('rejects connecting after connectTimeoutMs, naming the store and never its password', async () => {
    const server = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as { port: number }).port;
    await new Promise((r) => server.close(r));
    const log = recordingLogger();
    const { ms, error } = await timed(connectRedisStore({ url: `redis://ops:hunter2@127.0.0.1:${port}/3`, connectTimeoutMs: 400, log }));
    expect(error).toBeInstanceOf(StoreUnavailable);
    expect((error as Error).message).toMatch(new RegExp(`^the session store \\(redis://127\\.0\\.0\\.1:${port}/3\\) cannot be reached: .*ECONNREFUSED`));
    expect(ms).toBeGreaterThanOrEqual(350);
    expect(ms).toBeLessThan(1500);
    expect(logText(log.lines)).not.toContain('hunter2');
  });

  it('fails a command that gets no answer within commandTimeoutMs', async () => {
    const store = await connectRedisStore({ url: real.redis.url, keyPrefix: 'hang:', commandTimeoutMs: 300 });
    teardown.add(() => store.close());
    const events = store.events();
    const admin = createClient({ url: real.redis.url });
    admin.on('error', () => undefined);
    await admin.connect();
    teardown.add(() => admin.close());
    // Redis stops answering every client for 1.5 s.
    await admin.sendCommand(['CLIENT', 'PAUSE', '1500', 'ALL']);
    const { ms, error } = await timed(events.load('s'));
    expect(error).toBeInstanceOf(StoreUnavailable);
    expect((error as Error).message).toBe(`the session store (${real.redis.url}) cannot be reached: no answer to events.load within 300 ms`);
    expect(ms).toBeLessThan(600);
    // The connection itself is fine: once Redis answers again, so does the store.
    await until(async () => (await settle(events.load('s'))).ok, 'Redis to answer again', 3000);
  });

  it('fails fast while Redis is down, says why, and works again when it is back, with no new store', async () => {
    const operations: string[] = [];
    const log = recordingLogger();
    const store = await connectRedisStore({
      url: real.redis.url,
      keyPrefix: 'down:',
      log,
      commandTimeoutMs: 500,
      onOperation: (op, outcome) => operations.push(`${op}:${outcome}`),
    });
    teardown.add(() => store.close());
    const dir = await store.directory({ id: 'a', url: 'http://a' }, { leaseMs: 600 });
    teardown.add(() => dir.stop());
    const secret = await store.secret('state');
    const buckets = store.rateBuckets('entry');
    let readies = 0;
    store.onReady(() => readies++);
    expect(store.notReady()).toBeUndefined();

    real.redis.kill();
    await until(() => store.notReady(), 'the store to notice', 3000);
    expect(store.notReady()).toMatch(new RegExp(`^the session store \\(${real.redis.url.replace(/[./]/g, '\\$&')}\\) cannot be reached: `));
    const attempts: Array<() => Promise<unknown>> = [
      () => dir.lookup('s'),
      () => dir.open({ id: 's', owner: 'a', initialize }),
      () => dir.claim('s', ''),
      () => store.events().append('s', { eventId: '1', streamId: 'x', text: '{}' }),
      () => buckets.take([{ key: 'k', shape: { perMs: 1, size: 1 } }]),
      () => store.secret('other'),
    ];
    for (const attempt of attempts) {
      const { ms, error } = await timed(attempt());
      expect(error).toBeInstanceOf(StoreUnavailable);
      expect((error as Error).message).toContain(`the session store (${real.redis.url}) cannot be reached`);
      expect(ms).toBeLessThan(500);
    }
    expect(operations).toContain('lookup:error');
    expect(readies).toBe(0);

    await real.redis.restart();
    await until(() => readies > 0, 'onReady after the restart', 6000);
    expect(store.notReady()).toBeUndefined();
    // Redis came back empty: the lease and the secret are put back without being asked.
    await until(async () => (await dir.replica('a'))?.url === 'http://a', 'the lease to be put back', 2000);
    expect(await store.secret('state')).toBe(secret);
    await dir.open({ id: 's', owner: 'a', initialize });
    expect((await dir.lookup('s'))?.owner).toBe('a');
    // Scripts are gone from a restarted Redis: EVALSHA falls back to EVAL.
    expect(await buckets.take([{ key: 'k', shape: { perMs: 1, size: 1 } }])).toEqual({ waitMs: 0 });
    expect(readies).toBe(1);
    expect(operations).toContain('lookup:ok');
    const warnings = log.lines.filter((l) => l.level === 'warn' && String(l.msg).includes('cannot be reached'));
    // One warning for the outage, not one per reconnect attempt.
    expect(warnings).toHaveLength(1);
  });
});
