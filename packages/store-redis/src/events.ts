import { ConfigError, throttledWarn, type Logger } from '@mcproxy/core';
import type { SharedEvent, SharedEvents } from '@mcproxy/transport-streamable-http';
import { type Connection, StoreRefused, script } from './connection.js';
import { DEFAULT_SESSION_TTL_MS } from './directory.js';
import { eventRecord, type Keys, parseEvent } from './records.js';

/** Bounds of one session's shared events. */
export interface SharedEventsOptions {
  /** Events kept per session, oldest dropped first (default 1000). */
  maxEvents?: number;
  /** Bytes of stored records kept per session, oldest dropped first (default 4 MiB). */
  maxBytes?: number;
  /** How long a session's events outlive its last append (default 31 minutes, as its entry). */
  ttlMs?: number;
}

export const defaultSharedEvents = { maxEvents: 1000, maxBytes: 4 * 1024 * 1024, ttlMs: DEFAULT_SESSION_TTL_MS };

// KEYS: the list, its byte count. ARGV: the record, maxEvents, maxBytes, ttlMs.
// The count restarts with a list that starts (a count left over from an expired list would only shrink what is kept).
// Trimming may drop the new record too, when it alone is over maxBytes: as the in-memory budget does.
const APPEND = script(`local n = redis.call('RPUSH', KEYS[1], ARGV[1])
local bytes
if n == 1 then
  bytes = #ARGV[1]
  redis.call('SET', KEYS[2], bytes)
else
  bytes = redis.call('INCRBY', KEYS[2], #ARGV[1])
end
local maxEvents, maxBytes = tonumber(ARGV[2]), tonumber(ARGV[3])
while n > 0 and (n > maxEvents or bytes > maxBytes) do
  local head = redis.call('LPOP', KEYS[1])
  bytes = redis.call('DECRBY', KEYS[2], #head)
  n = n - 1
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return n`);

const whole = (name: string, value: number, min: number): number => {
  if (!Number.isInteger(value) || value < min) throw new ConfigError(`shared events: ${name} must be a whole number, at least ${min} (got ${value})`);
  return value;
};

/**
 * Every session's SSE events in Redis: one list per session
 * (`<prefix>events:<id>`, oldest first) and its byte count
 * (`<prefix>event-bytes:<id>`), appended and trimmed by one script, both
 * expiring `ttlMs` after the last append.
 */
export function redisSharedEvents(conn: Connection, keys: Keys, log: Logger, options: SharedEventsOptions = {}): SharedEvents {
  const maxEvents = whole('maxEvents', options.maxEvents ?? defaultSharedEvents.maxEvents, 1);
  const maxBytes = whole('maxBytes', options.maxBytes ?? defaultSharedEvents.maxBytes, 1);
  const ttlMs = whole('ttlMs', options.ttlMs ?? defaultSharedEvents.ttlMs, 1);
  const warn = throttledWarn(log, 'shared event that does not parse skipped');
  return {
    async append(sessionId, event) {
      await conn.eval('events.append', APPEND, [keys.events(sessionId), keys.eventBytes(sessionId)], [eventRecord(event), maxEvents, maxBytes, ttlMs]);
    },
    async load(sessionId) {
      const key = keys.events(sessionId);
      let items: unknown;
      try {
        items = await conn.command('events.load', ['LRANGE', key, 0, -1]);
      } catch (err) {
        if (!(err instanceof StoreRefused)) throw err;
        items = undefined;
      }
      if (!Array.isArray(items)) {
        warn({ key, err: 'not a list' });
        return [];
      }
      const out: SharedEvent[] = [];
      let skipped = 0;
      for (const item of items) {
        const event = parseEvent(item);
        if (event === undefined) skipped++;
        else out.push(event);
      }
      if (skipped > 0) warn({ key, skipped });
      return out;
    },
    async drop(sessionId) {
      await conn.command('events.drop', ['DEL', keys.events(sessionId), keys.eventBytes(sessionId)]);
    },
  };
}
