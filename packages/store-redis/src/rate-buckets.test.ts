import { Buckets } from '@mcproxy/mw-rate-limit';
import { describe, expect, it } from 'vitest';
import { connectRedisStore, type RedisStore } from './index.js';
import { realRedis } from '../test/real-redis.js';

const real = realRedis();
const { teardown } = real;
let prefix = 0;

async function replicas(n: number): Promise<RedisStore[]> {
  const keyPrefix = `r${prefix++}:`;
  return Promise.all(
    Array.from({ length: n }, async () => {
      const s = await connectRedisStore({ url: real.redis.url, keyPrefix });
      teardown.add(() => s.close());
      return s;
    }),
  );
}

const perMinute = (n: number) => ({ perMs: n / 60_000, size: n });

describe('rate buckets on Redis', () => {
  it('3 replicas sharing a limit of N per minute admit exactly N of 3N concurrent takes', async () => {
    const N = 25;
    const buckets = (await replicas(3)).map((s) => s.rateBuckets('entry'));
    const want = [{ key: 'p\0jwt:alice', shape: perMinute(N) }];
    const taken = await Promise.all(Array.from({ length: 3 * N }, (_, i) => buckets[i % 3]!.take(want)));
    const admitted = taken.filter((t) => t.blocking === undefined);
    expect(admitted).toHaveLength(N);
    for (const t of taken.filter((t) => t.blocking !== undefined)) {
      expect(t.blocking).toBe(0);
      // About one token's refill: 60 s / N.
      expect(t.waitMs).toBeGreaterThan(60_000 / N - 200);
      expect(t.waitMs).toBeLessThanOrEqual(60_000 / N);
    }
    expect(buckets.map((b) => b.size)).toEqual([1, 1, 1]);
  });

  it('takes from every bucket or from none', async () => {
    const [a, b] = (await replicas(2)).map((s) => s.rateBuckets('entry'));
    const roomy = { key: 'roomy', shape: perMinute(2) };
    const tight = { key: 'tight', shape: perMinute(1) };
    expect(await a!.take([tight])).toEqual({ waitMs: 0 });
    // tight is empty: the pair is refused, naming tight (index 1), and roomy keeps both tokens.
    const refused = await b!.take([roomy, tight]);
    expect(refused.blocking).toBe(1);
    expect(refused.waitMs).toBeGreaterThan(59_000);
    expect(await b!.take([roomy])).toEqual({ waitMs: 0 });
    expect(await a!.take([roomy])).toEqual({ waitMs: 0 });
    expect((await a!.take([roomy])).blocking).toBe(0);
    // Other names are other buckets.
    const other = (await replicas(1))[0]!.rateBuckets('another-entry');
    expect(await other.take([tight])).toEqual({ waitMs: 0 });
  });

  it('refills as the in-memory buckets do, on the server’s clock', async () => {
    const [store] = await replicas(1);
    const remote = store!.rateBuckets('entry');
    const fast = { key: 'fast', shape: { perMs: 1 / 50, size: 2 } };
    let now = 0;
    const local = new Buckets(100, () => now);
    for (let i = 0; i < 3; i++) {
      const [r, l] = [await remote.take([fast]), local.take([fast])];
      expect(r.blocking).toBe(l.blocking);
    }
    expect((await remote.take([fast])).waitMs).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await remote.take([fast])).toEqual({ waitMs: 0 });
    now += 60;
    expect(local.take([fast])).toEqual({ waitMs: 0 });
    expect(await remote.take([])).toEqual({ waitMs: 0 });
  });
});
