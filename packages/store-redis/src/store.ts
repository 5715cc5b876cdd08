import { randomBytes } from 'node:crypto';
import { silentLogger, type Logger } from '@mcproxy/core';
import type { Replica, SessionDirectory, SharedEvents } from '@mcproxy/transport-streamable-http';
import { Connection, StoreRefused } from './connection.js';
import { openDirectory } from './directory.js';
import { redisSharedEvents, type SharedEventsOptions } from './events.js';
import { type RedisRateBuckets, redisRateBuckets } from './rate-buckets.js';
import { keysOf } from './records.js';
import { redisNews, type StoreNews } from './news.js';
import { openKeyRing, type KeyRingOptions, type SharedKeyRing } from './key-ring.js';
import { redactedUrl, storeName } from './url.js';

export interface RedisStoreOptions {
  /** `redis://[user:password@]host:port/db`, or `rediss://` for TLS. The password is never logged. */
  url: string;
  /** Put before every key the store writes (default `mcproxy:`), so one Redis can serve several deployments. */
  keyPrefix?: string;
  log?: Logger;
  /** `connectRedisStore` rejects with `StoreUnavailable` when there is no connection after this (default 5000). */
  connectTimeoutMs?: number;
  /** A command that takes longer fails with `StoreUnavailable` (default 2000). */
  commandTimeoutMs?: number;
  /** Called once per store operation, for the metric `mcproxy_store_operations_total{op,outcome}`. */
  onOperation?(op: string, outcome: 'ok' | 'error'): void;
}

/** What a replica keeps in Redis. Every call may throw `StoreUnavailable`; none waits longer than `commandTimeoutMs`. */
export interface RedisStore {
  /** The store's URL without user name or password. */
  readonly url: string;
  /** Undefined while connected, else one sentence naming the store and why (for `/readyz`). */
  notReady(): string | undefined;
  /** Called each time the connection comes back after being down (to put back what the store lost). */
  onReady(listener: () => void): void;
  /** This replica's session directory; its lease is put before this resolves and renewed until `stop`. */
  directory(self: Replica, options?: { leaseMs?: number; sessionTtlMs?: number }): Promise<SessionDirectory & { stop(): Promise<void> }>;
  /** Every session's SSE events, bounded per session. */
  events(options?: SharedEventsOptions): SharedEvents;
  /** Token buckets shared by every replica that uses the same `name`. */
  rateBuckets(name: string): RedisRateBuckets;
  /** 64 hex characters, random, one per `purpose`, the same on every replica (the first replica to ask makes it). */
  secret(purpose: string): Promise<string>;
  /** The ring of signing keys every replica shares, rotated every `rotateMs` (see `openKeyRing`). */
  keyRing(options: KeyRingOptions): Promise<SharedKeyRing>;
  /** Messages between replicas (pub/sub), under the key prefix. */
  readonly news: StoreNews;
  close(): Promise<void>;
}

const SECRET = /^[0-9a-f]{64}$/;

/**
 * Connects to Redis (or Valkey: only Redis 7.0 commands are used) and
 * resolves once it answers; rejects with `StoreUnavailable` naming the
 * store after `connectTimeoutMs`. Afterwards an outage never throws out
 * of the client: commands fail fast with `StoreUnavailable`, the client
 * reconnects forever (at most 2 s apart), and `onReady` listeners run when
 * it is back.
 *
 * @example
 * const store = await connectRedisStore({ url: 'redis://127.0.0.1:6379/0', log });
 * const directory = await store.directory({ id: 'pod-a', url: 'http://10.0.0.5:8080' });
 */
export async function connectRedisStore(options: RedisStoreOptions): Promise<RedisStore> {
  const redacted = redactedUrl(options.url);
  const log = (options.log ?? silentLogger).child({ component: 'store-redis' });
  const conn = await Connection.open({
    url: options.url,
    redacted,
    log,
    connectTimeoutMs: options.connectTimeoutMs ?? 5000,
    commandTimeoutMs: options.commandTimeoutMs ?? 2000,
    onOperation: options.onOperation,
  });
  const keys = keysOf(options.keyPrefix ?? 'mcproxy:');
  // The secrets this process has read: put back (NX) when the store returns empty, before another replica can make new ones.
  const secrets = new Map<string, string>();

  const secret = async (purpose: string): Promise<string> => {
    const key = keys.secret(purpose);
    // SET NX GET (Redis 7.0): one round trip makes the secret or reads the one another replica made.
    const earlier = await conn.command('secret', ['SET', key, secrets.get(purpose) ?? randomBytes(32).toString('hex'), 'NX', 'GET']);
    const value = earlier === null ? await conn.command('secret', ['GET', key]) : earlier;
    if (typeof value !== 'string' || !SECRET.test(value)) {
      log.error({ key }, 'store key does not hold a 64-hex secret');
      throw new StoreRefused(`${storeName(redacted)} holds something else than a secret at ${key}; delete the key and restart`);
    }
    const known = secrets.get(purpose);
    if (known !== undefined && known !== value) {
      log.error(
        { key },
        'the shared secret changed in the store (it was emptied, and another replica made a new one); restart this replica to agree with the others',
      );
    }
    secrets.set(purpose, known ?? value);
    return known ?? value;
  };
  const news = redisNews(conn, options.url, options.keyPrefix ?? 'mcproxy:', log);
  conn.onReady(() => {
    for (const purpose of secrets.keys()) secret(purpose).catch(() => undefined);
  });

  return {
    url: redacted,
    notReady: () => conn.notReady(),
    onReady(listener) {
      conn.onReady(listener);
    },
    directory: async (self, o) => openDirectory({ conn, keys, log, self, secret: await secret('forward'), leaseMs: o?.leaseMs, sessionTtlMs: o?.sessionTtlMs }),
    events: (o) => redisSharedEvents(conn, keys, log, o),
    rateBuckets: (name) => redisRateBuckets(conn, keys, name),
    secret,
    keyRing: (o) => openKeyRing(conn, keys.secret('ring'), log, o),
    news,
    async close() {
      await news.close();
      await conn.close();
    },
  };
}
