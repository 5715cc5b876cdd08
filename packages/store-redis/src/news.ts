import type { Logger } from '@mcproxy/core';
import { createClient } from 'redis';
import type { Connection } from './connection.js';

/** Messages between replicas on Redis pub/sub: fire and forget, heard by every replica subscribed at the time. */
export interface StoreNews {
  /** Sends `text` on `channel` (under the key prefix). A store that cannot be reached throws `StoreUnavailable`. */
  publish(channel: string, text: string): Promise<void>;
  /** Calls `listener` with every message on `channel` from now on (the subscription comes back by itself after an outage). */
  subscribe(channel: string, listener: (text: string) => void): () => void;
  close(): Promise<void>;
}

/** The largest message passed to a listener; anything longer on the channel is not ours and is dropped. */
const MAX_MESSAGE = 4096;

/**
 * Pub/sub needs a connection of its own (a subscribed connection runs no
 * other command). It is opened on the first `subscribe`, in the
 * background: news is best effort, so start never waits for it, and an
 * outage only loses what was said meanwhile.
 */
export function redisNews(conn: Connection, url: string, prefix: string, log: Logger): StoreNews {
  const listeners = new Map<string, Set<(text: string) => void>>();
  let sub: ReturnType<typeof createClient> | undefined;
  let failing = false;

  const hear = (channel: string) => (text: string) => {
    if (text.length > MAX_MESSAGE) return;
    for (const listener of listeners.get(channel) ?? []) {
      try {
        listener(text);
      } catch (err) {
        log.warn({ err, channel }, 'a news listener failed');
      }
    }
  };
  const client = () => {
    if (sub !== undefined) return sub;
    sub = createClient({ url, disableOfflineQueue: false, socket: { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000) } });
    sub.on('error', (err: unknown) => {
      if (!failing) log.warn({ err: (err as Error).message }, 'news between replicas is not heard until the store answers again');
      failing = true;
    });
    sub.on('ready', () => {
      failing = false;
    });
    sub.connect().catch(() => undefined);
    return sub;
  };

  return {
    async publish(channel, text) {
      await conn.command('news', ['PUBLISH', prefix + channel, text]);
    },
    subscribe(channel, listener) {
      const full = prefix + channel;
      let set = listeners.get(full);
      if (set === undefined) {
        set = new Set();
        listeners.set(full, set);
        client()
          .subscribe(full, hear(full))
          .catch((err: unknown) => log.warn({ err: (err as Error).message, channel: full }, 'could not subscribe to news between replicas'));
      }
      set.add(listener);
      return () => {
        set.delete(listener);
      };
    },
    async close() {
      listeners.clear();
      const closing = sub;
      sub = undefined;
      if (closing !== undefined) await Promise.race([closing.close().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 1000))]);
      closing?.destroy();
    },
  };
}
