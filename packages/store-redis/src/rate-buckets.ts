import type { BucketShape, BucketsTaken, RateBuckets } from '@mcproxy/core';
import { type Connection, StoreRefused, script } from './connection.js';
import type { Keys } from './records.js';

/** Core's `RateBuckets`, whose `take` always goes to the store and so always returns a promise. */
export interface RedisRateBuckets extends RateBuckets {
  take(wanted: ReadonlyArray<{ key: string; shape: BucketShape }>): Promise<BucketsTaken>;
}

/** How many distinct keys `size` counts before it forgets the least recently used. */
const COUNTED = 10_000;

// KEYS: the buckets. ARGV: perMs and size of each, in turn. Returns {waitMs, blocking index or -1}.
// The same arithmetic as mw-rate-limit's in-memory Buckets, on the Redis server's clock (TIME), so
// replicas' clocks do not matter. A bucket is "<tokens> <ms>"; each expires once it would be full again
// (+1 s), and a bucket not found is full, so an expired one reads the same as a kept one.
const TAKE = script(`local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local levels = {}
local wait, blocking = 0, -1
for i, key in ipairs(KEYS) do
  local perMs, size = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  local level = size
  local state = redis.call('GET', key)
  if state then
    local tokens, at = string.match(state, '^(%S+) (%S+)$')
    tokens, at = tonumber(tokens), tonumber(at)
    if tokens and at then level = math.min(size, tokens + math.max(0, now - at) * perMs) end
  end
  levels[i] = level
  if level < 1 then
    local w = (1 - level) / perMs
    if w > wait then wait, blocking = w, i - 1 end
  end
end
if blocking >= 0 then return {math.ceil(wait - 1e-6), blocking} end
for i, key in ipairs(KEYS) do
  local perMs, size = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  local tokens = levels[i] - 1
  local ttl = math.max(1, math.ceil((size - tokens) / perMs)) + 1000
  redis.call('SET', key, string.format('%.17g %.17g', tokens, now), 'PX', ttl)
end
return {0, -1}`);

/**
 * Token buckets in Redis, shared by every replica that uses the same
 * `name`: one key per bucket (`<prefix>rate:<name>:<key>`), taken from all
 * or none by one script, exactly as the in-memory `Buckets` do.
 */
export function redisRateBuckets(conn: Connection, keys: Keys, name: string): RedisRateBuckets {
  // Only to answer `size`; the buckets themselves are in Redis, each with its own expiry.
  const used = new Map<string, true>();
  return {
    /** The distinct bucket keys this process has used (the last 10 000 of them): the buckets live in Redis, shared, and expire there. */
    get size() {
      return used.size;
    },
    async take(wanted) {
      if (wanted.length === 0) return { waitMs: 0 };
      const bucketKeys = wanted.map((w) => keys.rate(name, w.key));
      const args = wanted.flatMap((w) => [String(w.shape.perMs), String(w.shape.size)]);
      const reply = await conn.eval('rate.take', TAKE, bucketKeys, args);
      for (const w of wanted) {
        used.delete(w.key);
        used.set(w.key, true);
      }
      while (used.size > COUNTED) used.delete(used.keys().next().value as string);
      const [waitMs, blocking] = Array.isArray(reply) ? reply.map(Number) : [];
      if (waitMs === undefined || blocking === undefined || Number.isNaN(waitMs + blocking))
        throw new StoreRefused(`the rate-limit script answered ${String(reply)}`);
      return blocking < 0 ? { waitMs: 0 } : { waitMs, blocking };
    },
  };
}
