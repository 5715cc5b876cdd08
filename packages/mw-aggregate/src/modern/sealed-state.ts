import { errorReply, JSONRPCErrorCode, Seal, type Reply, type SecretKeys } from '@mcproxy/core';

/** What a sealed requestState holds: who issued the round, for which request, until when. */
interface Payload {
  v: 1;
  /** The upstream that answered input_required, and gets the retry. */
  u: string;
  /** That upstream's own requestState, if it gave one. */
  s?: string;
  /** The method of the round, and the name or URI the client used. */
  m: string;
  n: string;
  /** The principal the round was issued to, when authentication named one. */
  p?: string;
  /** Expiry, in ms since the epoch. */
  exp: number;
}

/** A verified state: where the retry goes, and the upstream's own state to put back. */
export interface Opened {
  upstream: string;
  state: string | undefined;
}

const invalid = (why: string): { error: Reply } => ({ error: errorReply(JSONRPCErrorCode.InvalidParams, `Invalid params: requestState ${why}`) });

/**
 * Seals and opens the requestState aggregate hands a client on an
 * `input_required` result. The client must not be able to pick the upstream
 * its retry reaches, nor replay a round on another request or after it
 * lapsed, so the state is `base64url(payload).base64url(HMAC-SHA256)` over
 * a payload naming the upstream, its own state, the method, the name or URI,
 * the principal (when there is one) and an expiry. The payload is signed, not encrypted: the upstream's state
 * is opaque to the client already, and is the upstream's to protect.
 */
export class StateSeal {
  private readonly sealer: Seal;

  /** `key` absent: a random one, so states do not outlive the process. A ring (replicas' shared keys) is asked each time, so it can rotate. */
  constructor(
    key: string | SecretKeys | undefined,
    private readonly ttlMs: number,
  ) {
    this.sealer = new Seal(key === undefined || typeof key === 'string' ? key : { ring: key, purpose: 'mcproxy aggregate states' });
  }

  seal(upstream: string, state: string | undefined, method: string, name: string, principal: string | undefined, now = Date.now()): string {
    const payload: Payload = {
      v: 1,
      u: upstream,
      ...(state === undefined ? {} : { s: state }),
      m: method,
      n: name,
      ...(principal === undefined ? {} : { p: principal }),
      exp: now + this.ttlMs,
    };
    return this.sealer.seal(payload);
  }

  /**
   * Checks a state a client sent back on `method` for `name` by `principal`;
   * any failure is -32602. A state issued to another principal (or sent
   * without the one it was issued to) gets what a foreign state gets.
   */
  open(token: unknown, method: string, name: string, upstreams: readonly string[], principal: string | undefined, now = Date.now()): Opened | { error: Reply } {
    if (typeof token !== 'string') return invalid('must be the string this server gave out');
    const opened = this.sealer.open(token);
    if ('failure' in opened) return invalid(opened.failure === 'verification' ? 'failed verification' : 'is malformed');
    if (opened.payload.p !== principal) return invalid('failed verification');
    const p = parse(opened.payload);
    if (p === undefined || !upstreams.includes(p.u)) return invalid('is malformed');
    if (now >= p.exp) return invalid('has expired; send the request again without it');
    if (p.m !== method || p.n !== name) return invalid(`belongs to another request (a ${p.m.slice(0, 40)}), not this ${method}`);
    return { upstream: p.u, state: p.s };
  }
}

function parse(p: Record<string, unknown>): Payload | undefined {
  const { v, u, s, m, n, exp } = p;
  if (v !== 1 || typeof u !== 'string' || typeof m !== 'string' || typeof n !== 'string' || typeof exp !== 'number') return undefined;
  if (s !== undefined && typeof s !== 'string') return undefined;
  return { v, u, m, n, exp, ...(s === undefined ? {} : { s }) };
}
