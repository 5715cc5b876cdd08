import { ConfigError, logId, type Logger } from '@mcproxy/core';
import type { Replica, SessionDirectory, SessionEntry } from '@mcproxy/transport-streamable-http';
import { type Connection, StoreRefused, script } from './connection.js';
import { forwardTokens } from './forward-token.js';
import { holderRecord, type Keys, leaseRecord, parseHolder, parseLease, parseSession, sessionRecord } from './records.js';

/** How long an entry lives after its last touch: a little over the 30 minutes a face keeps an idle session. */
export const DEFAULT_SESSION_TTL_MS = 31 * 60_000;
export const DEFAULT_LEASE_MS = 3000;

// Compare-and-set: the entry changes only if it is still exactly what the caller read (claim, release).
const CAS = script(`if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`);

// A live session keeps its entry, and its events no shorter than the entry (GT: never shortens a longer TTL).
const TOUCH = script(`redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1], 'GT')
redis.call('PEXPIRE', KEYS[3], ARGV[1], 'GT')
return 1`);

export interface DirectoryOptions {
  conn: Connection;
  keys: Keys;
  log: Logger;
  self: Replica;
  /** The forward secret (64 hex), read once when the directory is made. */
  secret: string;
  leaseMs?: number | undefined;
  sessionTtlMs?: number | undefined;
}

const positive = (name: string, value: number): number => {
  if (!Number.isInteger(value) || value < 30) throw new ConfigError(`${name} must be a whole number of milliseconds, at least 30 (got ${value})`);
  return value;
};

/**
 * The session directory on Redis. Puts this replica's lease before it
 * resolves (so it rejects with `StoreUnavailable` when the store is down)
 * and renews it every `leaseMs / 3` until `stop`, and again the moment the
 * store comes back after an outage.
 */
export async function openDirectory(o: DirectoryOptions): Promise<SessionDirectory & { stop(): Promise<void> }> {
  const { conn, keys, self } = o;
  if (self.id === '') throw new ConfigError('a replica id must not be empty: an empty owner means a released session');
  const leaseMs = positive('leaseMs', o.leaseMs ?? DEFAULT_LEASE_MS);
  const ttlMs = positive('sessionTtlMs', o.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS);
  const log = o.log.child({ replica: self.id });
  const tokens = forwardTokens(o.secret);
  const leaseKey = keys.replica(self.id);
  const lease = leaseRecord(self.url);
  // Per session, when this replica last touched it: touches closer together than a tenth of the TTL are skipped.
  const touched = new Map<string, number>();

  let stopped = false;
  let leaseFailing = false;
  let renewing: Promise<void> | undefined;
  const putLease = async (): Promise<void> => {
    try {
      await conn.command('lease', ['SET', leaseKey, lease, 'PX', leaseMs]);
      if (leaseFailing) log.info({}, 'replica lease renewed again');
      leaseFailing = false;
    } catch (err) {
      // Once per outage: the store's own warning already says it is down.
      if (!leaseFailing) log.warn({ err: (err as Error).message }, 'replica lease not renewed; other replicas will take over its sessions once it lapses');
      leaseFailing = true;
    }
  };
  const renew = (): void => {
    if (stopped || renewing !== undefined) return;
    renewing = putLease().finally(() => {
      renewing = undefined;
    });
  };
  await conn.command('lease', ['SET', leaseKey, lease, 'PX', leaseMs]);
  const timer = setInterval(renew, Math.max(10, Math.floor(leaseMs / 3)));
  timer.unref();
  const offReady = conn.onReady(renew);

  /** A record by key, or undefined when absent; garbage is logged by key name (never its contents) and reads as absent. */
  const readRecord = async <T>(op: string, key: string, parse: (text: unknown) => T | undefined, what: string): Promise<T | undefined> => {
    let text: unknown;
    try {
      text = await conn.command(op, ['GET', key]);
    } catch (err) {
      if (!(err instanceof StoreRefused)) throw err;
      text = undefined;
    }
    if (text === null) return undefined;
    const value = parse(text);
    if (value === undefined) log.warn({ key }, `session store key does not hold ${what} of this version; ignored`);
    return value;
  };

  /** A session's entry, and its text as stored (what a compare-and-set compares). */
  const read = (op: string, sessionId: string): Promise<{ text: string; entry: SessionEntry } | undefined> =>
    readRecord(
      op,
      keys.session(sessionId),
      (text) => {
        const entry = parseSession(text, sessionId);
        return entry === undefined ? undefined : { text: String(text), entry };
      },
      'a session entry',
    );

  /** Sets the owner if the entry is still the one just read: false when another replica got there first. */
  const swapOwner = async (op: string, sessionId: string, from: string, to: string): Promise<boolean> => {
    const found = await read(op, sessionId);
    if (found === undefined || found.entry.owner !== from) return false;
    const next = sessionRecord({ ...found.entry, owner: to });
    return (await conn.eval(op, CAS, [keys.session(sessionId)], [found.text, next, ttlMs])) === 1;
  };

  return {
    self,
    async open(entry) {
      await conn.command('open', ['SET', keys.session(entry.id), sessionRecord({ ...entry, owner: self.id }), 'PX', ttlMs]);
      touched.set(entry.id, Date.now());
    },
    async lookup(sessionId) {
      return (await read('lookup', sessionId))?.entry;
    },
    async replica(replicaId) {
      const url = await readRecord('replica', keys.replica(replicaId), parseLease, 'a replica lease');
      return url === undefined ? undefined : { id: replicaId, url };
    },
    async others() {
      // A handful of leases: one SCAN pass over the prefix's replica keys (MATCH with the prefix's glob characters escaped).
      const pattern = `${keys.replica('').replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
      const found: string[] = [];
      let cursor = '0';
      for (let pass = 0; pass < 16; pass++) {
        const [next, batch] = (await conn.command('others', ['SCAN', cursor, 'MATCH', pattern, 'COUNT', 200])) as [string, string[]];
        found.push(...batch);
        cursor = next;
        if (cursor === '0') break;
      }
      const ids = found.map((key) => key.slice(keys.replica('').length)).filter((id) => id !== self.id && id !== '');
      const live = await Promise.all(
        ids.slice(0, 64).map(async (id) => ({ id, url: await readRecord('replica', keys.replica(id), parseLease, 'a replica lease') })),
      );
      return live.flatMap((r) => (r.url === undefined ? [] : [{ id: r.id, url: r.url }]));
    },
    async holdState(stateHash, ttlMs) {
      await conn.command('hold-state', ['SET', keys.state(stateHash), holderRecord(self.id), 'PX', Math.max(1, Math.ceil(ttlMs))]);
    },
    async stateHolder(stateHash) {
      return readRecord('state-holder', keys.state(stateHash), parseHolder, 'a parked call holder');
    },
    async claim(sessionId, from) {
      const won = await swapOwner('claim', sessionId, from, self.id);
      if (won) {
        touched.set(sessionId, Date.now());
        log.info({ session: logId(sessionId), from }, 'session claimed');
      }
      return won;
    },
    async release(sessionId) {
      touched.delete(sessionId);
      await swapOwner('release', sessionId, self.id, '');
    },
    async close(sessionId) {
      touched.delete(sessionId);
      await conn.command('close', ['DEL', keys.session(sessionId), keys.events(sessionId), keys.eventBytes(sessionId)]);
    },
    async touch(sessionId) {
      const now = Date.now();
      const last = touched.get(sessionId);
      if (last !== undefined && now - last < ttlMs / 10) return;
      if (touched.size > 10_000) for (const [id, at] of touched) if (now - at >= ttlMs / 10) touched.delete(id);
      touched.set(sessionId, now);
      try {
        await conn.eval('touch', TOUCH, [keys.session(sessionId), keys.events(sessionId), keys.eventBytes(sessionId)], [ttlMs]);
      } catch (err) {
        // Not done: the next touch tries again rather than waiting out the throttle.
        touched.delete(sessionId);
        throw err;
      }
    },
    forwardToken: tokens.forwardToken,
    verifyForward: tokens.verifyForward,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      offReady();
      // A renewal in flight must not put the lease back after it is deleted.
      await renewing;
      // If the store is down the lease lapses on its own within leaseMs.
      await conn.command('lease', ['DEL', leaseKey]).catch((err: Error) => log.warn({ err: err.message }, 'replica lease not deleted; it lapses on its own'));
    },
  };
}
