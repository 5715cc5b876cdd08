import type { BridgedCall, Binding, ParkingLot } from './bridge-call.js';
import { errorReply, JSONRPCErrorCode, type Reply } from '../../wire/jsonrpc.js';
import { limitReply, type LimitReporter } from '../../wire/limits.js';
import { Seal } from '../modern/seal.js';
import type { ParkedTable } from '../../state/parked-calls.js';
import { MemoryParkedTable } from './parked-table.js';
import { MemorySecretKeys, type SecretKeys } from '../../state/keys.js';

/** What a sealed requestState of a parked call says. */
interface Sealed {
  v: 1;
  /** The parked call. */
  c: string;
  /** The round it answers. */
  r: number;
  u: string;
  m: string;
  n: string;
  /** The principal of the request that began the call, when authentication named one. */
  p?: string;
  exp: number;
}

const invalid = (why: string): Reply => errorReply(JSONRPCErrorCode.InvalidParams, `Invalid params: requestState ${why}`);
/** What a state this process did not seal gets, and a state sealed for another principal too. */
const foreign = (): Reply => invalid('failed verification');

/** A retry's state checked: the call it resumes, or the error (and whether that call must be cancelled). */
export type Reopened = { call: BridgedCall } | { error: Reply; cancel?: BridgedCall };

/**
 * Every call of a 2025-era upstream parked for a 2026-07-28 client, in this
 * process: a map from a random id to the call, bounded by
 * `limits.parkedCalls`, with the HMAC seal that makes the requestState a
 * client gets. A state names its call, round, upstream, method, name (and
 * principal) and an expiry; the call itself lives only here, so a retry that
 * reaches another process finds nothing to resume.
 */
export class ParkedCalls implements ParkingLot {
  private readonly seal: Seal;
  private readonly calls: ParkedTable<BridgedCall>;

  /** `perPrincipal`: how many of the `max` one principal may hold (requests without a principal share the whole table). */
  constructor(
    private readonly max: number,
    readonly parkedMs: number,
    private readonly reporter: LimitReporter,
    private readonly perPrincipal = max,
    stores: { table?: ParkedTable<BridgedCall>; keys?: SecretKeys } = {},
  ) {
    this.calls = stores.table ?? new MemoryParkedTable(max, perPrincipal);
    this.seal = new Seal({ ring: stores.keys ?? new MemorySecretKeys(), purpose: 'mcproxy parked calls' });
  }

  get size(): number {
    return this.calls.size;
  }

  park(call: BridgedCall): Reply | undefined {
    if (this.calls.get(call.id) !== undefined) return undefined;
    const { upstream, method, principal } = call.binding;
    const full = this.calls.add(call.id, call, principal);
    if (full === undefined) return undefined;
    const max = full === 'parkedCalls' ? this.max : this.perPrincipal;
    this.reporter.hit(full, max, { upstream, method });
    const what = `too many calls are waiting for their clients to answer${full === 'parkedCalls' ? '' : ' for this principal'}`;
    return limitReply(full, max, what, { upstream });
  }

  /** Cancels every parked call (the proxy is closing). */
  cancelAll(reason: string): void {
    for (const call of [...this.calls.values()]) call.cancel(reason);
  }

  unpark(call: BridgedCall): void {
    this.calls.delete(call.id, call.binding.principal);
  }

  stateOf(call: BridgedCall, now = Date.now()): string {
    const { upstream: u, method: m, name: n, principal: p } = call.binding;
    const sealed: Sealed = { v: 1, c: call.id, r: call.round, u, m, n, ...(p === undefined ? {} : { p }), exp: now + this.parkedMs };
    return this.seal.seal(sealed);
  }

  /**
   * Checks the requestState of a retry against what it claims to resume.
   * Any failure is -32602. A state that names a live call but the wrong
   * request, or a round already answered (a replay), also cancels that
   * call: its owner sent something that cannot be right. A state of
   * another principal (or sent without the principal it was issued to) is
   * checked first and gets exactly what a foreign state gets: it cancels
   * nothing, or anyone could end anyone's call, and says nothing of the call
   * it names (alive, expired, which request).
   */
  reopen(token: unknown, binding: Binding, now = Date.now()): Reopened {
    const opened = this.seal.open(token);
    if ('failure' in opened) return { error: opened.failure === 'verification' ? foreign() : invalid('is malformed') };
    const s = opened.payload as Partial<Sealed>;
    if (s.p !== binding.principal) return { error: foreign() };
    if (s.v !== 1 || typeof s.c !== 'string' || typeof s.r !== 'number' || typeof s.exp !== 'number') return { error: invalid('is malformed') };
    const call = this.calls.get(s.c);
    if (now >= s.exp) {
      call?.cancel('its requestState expired');
      return { error: invalid('has expired; send the request again without it') };
    }
    if (call === undefined)
      return { error: invalid('names a call that is no longer waiting (answered, cancelled or expired); send the request again without it') };
    if (s.u !== binding.upstream || s.m !== binding.method || s.n !== binding.name) {
      return { error: invalid(`belongs to another request (a ${String(s.m).slice(0, 40)}), not this ${binding.method}`), cancel: call };
    }
    if (s.r !== call.round || !call.parked) return { error: invalid('was already used; each round may be answered once'), cancel: call };
    return { call };
  }
}
