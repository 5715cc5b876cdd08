import { createHmac, randomBytes } from 'node:crypto';
import { isObject, type Logger, type SecretKeys } from '@mcproxy/core';
import { type Connection, script } from './connection.js';
import { RECORD_VERSION } from './records.js';

/** The ring as stored: the secret that signs now, the one before it (still opens), and when the current one began (Redis's clock). */
interface Ring {
  current: string;
  previous: string | null;
  since: number;
}

const HEX = /^[0-9a-f]{64}$/;

// Rotates only if the ring is still the one read: of several replicas due at once, one rotates.
const ROTATE = script(`if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return 0`);

export interface KeyRingOptions {
  /** How long a secret signs before the next takes over; what it signed opens for at least this long after. */
  rotateMs: number;
  /** How often each replica reads the ring (and rotates it when due). Default: a quarter of `rotateMs`, at most 30 s. */
  refreshMs?: number;
}

/** The ring every replica signs with, read from the store and kept fresh; `stop` ends the refreshing. */
export type SharedKeyRing = SecretKeys & { stop(): void };

/**
 * One ring of signing secrets for every replica (`<prefix>secret:ring`):
 * each purpose's key is HMAC-SHA256(secret, purpose), so requestStates,
 * aggregate's states and task ids sealed on one replica open on another.
 * The ring rotates every `rotateMs` (the first replica to find it due
 * rotates it, atomically); the previous secret still opens what it signed
 * until the rotation after, so a token stays valid at least `rotateMs`.
 * Replicas read the ring every `refreshMs`; while the store cannot be
 * reached they keep the ring they have, and a store that comes back empty
 * gets it back (SET NX) before anyone makes a new one.
 */
export async function openKeyRing(conn: Connection, key: string, log: Logger, options: KeyRingOptions): Promise<SharedKeyRing> {
  const refreshMs = options.refreshMs ?? Math.min(30_000, Math.max(1000, Math.floor(options.rotateMs / 4)));
  let ring = await read(conn, key, undefined, options.rotateMs, log);
  const derived = new Map<string, Uint8Array>();
  const derive = (secret: string, purpose: string): Uint8Array => {
    const id = `${secret}\n${purpose}`;
    let k = derived.get(id);
    if (k === undefined) {
      k = createHmac('sha256', secret).update(purpose).digest();
      if (derived.size > 256) derived.clear();
      derived.set(id, k);
    }
    return k;
  };
  let failing = false;
  const timer = setInterval(() => {
    read(conn, key, ring, options.rotateMs, log).then(
      (next) => {
        if (next.current !== ring.current)
          log.info({ key }, 'the signing key ring rotated: new states are signed with the new key, the previous one still opens');
        ring = next;
        failing = false;
      },
      (err: unknown) => {
        if (!failing) log.warn({ err: (err as Error).message }, 'the key ring cannot be read: this replica keeps the one it has');
        failing = true;
      },
    );
  }, refreshMs);
  timer.unref();
  return {
    key: (purpose) => derive(ring.current, purpose),
    previous: (purpose) => (ring.previous === null ? [] : [derive(ring.previous, purpose)]),
    stop: () => clearInterval(timer),
  };
}

/** Reads the ring (making it, or putting `known` back, when absent) and rotates it when it is due. */
async function read(conn: Connection, key: string, known: Ring | undefined, rotateMs: number, log: Logger): Promise<Ring> {
  const now = await serverTime(conn);
  let text = await conn.command('key-ring', ['GET', key]);
  if (text === null) {
    const fresh = known ?? { current: randomBytes(32).toString('hex'), previous: null, since: now };
    await conn.command('key-ring', ['SET', key, record(fresh), 'NX']);
    text = await conn.command('key-ring', ['GET', key]);
  }
  const ring = parse(text);
  if (ring === undefined) {
    log.error({ key }, 'the key ring in the store is not one mcproxy wrote; delete the key so a new ring is made');
    if (known !== undefined) return known;
    throw new Error(`the store holds something else than a key ring at ${key}`);
  }
  // Made afresh by a replica that found the store empty before this one put its ring back: ours leads again, and
  // the fresh secret stays as the previous one, so what was sealed with either still opens.
  if (known !== undefined && ring.previous === null && ring.current !== known.current) {
    const merged: Ring = { current: known.current, previous: ring.current, since: known.since };
    const put = (await conn.eval('key-ring', ROTATE, [key], [String(text), record(merged)])) === 1;
    return put ? merged : (parse(await conn.command('key-ring', ['GET', key])) ?? ring);
  }
  if (now - ring.since < rotateMs) return ring;
  const next: Ring = { current: randomBytes(32).toString('hex'), previous: ring.current, since: now };
  const rotated = (await conn.eval('key-ring', ROTATE, [key], [String(text), record(next)])) === 1;
  return rotated ? next : (parse(await conn.command('key-ring', ['GET', key])) ?? ring);
}

async function serverTime(conn: Connection): Promise<number> {
  const [seconds, micros] = (await conn.command('key-ring', ['TIME'])) as [string, string];
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

const record = (ring: Ring): string => JSON.stringify({ v: RECORD_VERSION, ...ring });

function parse(text: unknown): Ring | undefined {
  if (typeof text !== 'string') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(value) || value.v !== RECORD_VERSION) return undefined;
  const { current, previous, since } = value;
  if (typeof current !== 'string' || !HEX.test(current) || typeof since !== 'number') return undefined;
  if (previous !== null && (typeof previous !== 'string' || !HEX.test(previous))) return undefined;
  return { current, previous, since };
}
