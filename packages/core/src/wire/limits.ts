import { ConfigError, ProxyErrorCode } from './errors.js';
import { errorReply, type Reply } from './jsonrpc.js';
import { throttledWarn, type Logger } from './logger.js';

/**
 * Every bound the proxy keeps, in one place: the `limits:` section of a pipeline file. Each has a
 * safe default; each hit is answered (an HTTP status and/or a JSON-RPC error naming the limit and
 * its value), logged and counted by a `LimitReporter`.
 */
export interface Limits {
  /** Largest message a client may send, in bytes: an HTTP body, an SSE POST, a stdio line. */
  clientMessageBytes: number;
  /** Largest message an upstream may send, in bytes: a JSON body, one SSE event, a stdio line. */
  upstreamMessageBytes: number;
  /** Downstream sessions open at once, over every HTTP and SSE face. */
  sessions: number;
  /** Of those, the most one authenticated principal may hold, so that one key cannot take them all (unauthenticated clients share `sessions` only). */
  sessionsPerPrincipal: number;
  /** 2026-07-28 `subscriptions/listen` streams one authenticated principal may hold open at once, on one face. */
  listensPerPrincipal: number;
  /** Requests one session may have in flight at once. */
  requestsPerSession: number;
  /** TCP connections one listening server keeps at once. */
  connections: number;
  /** Time for a client to send a request's headers (also a fresh connection's first bytes). */
  headersTimeoutMs: number;
  /** Time for a client to send a whole request body. */
  bodyTimeoutMs: number;
  /** A kept-alive connection with no request in progress is closed after this long. */
  connectionIdleMs: number;
  /** Child processes one upstream may run at once for sessions (per-session mode) or for principals (shared mode with authentication). */
  perSessionChildren: number;
  /** Bytes of events kept for resumption, over all sessions of one HTTP face. */
  eventStoreBytes: number;
  /** A session that sends nothing for this long is closed. */
  sessionIdleMs: number;
  /** Bytes written toward one slow reader and not yet taken; past it the reader is cut (it may resume). */
  slowReaderBytes: number;
  /** Calls of a 2025-era upstream parked at once while their 2026-07-28 clients answer an `input_required` round. */
  parkedCalls: number;
  /** How long a parked call waits for its client's retry before it is cancelled upstream. */
  parkedCallMs: number;
  /** Of `parkedCalls`, how many one principal may hold; unset, a quarter of `parkedCalls` (at least 1). Requests without a principal share the whole table. */
  parkedCallsPerPrincipal: number;
  /** Links (child processes, HTTP sessions) the bridge keeps to one 2025-era upstream for 2026-07-28 clients, over every principal. */
  bridgeLinks: number;
  /** Of `bridgeLinks`, how many one principal may hold; unset, half of `bridgeLinks` (at least 1). Requests without a principal may use them all. */
  bridgeLinksPerPrincipal: number;
}

export const defaultLimits: Limits = {
  clientMessageBytes: 4 * 1024 * 1024,
  upstreamMessageBytes: 64 * 1024 * 1024,
  sessions: 1000,
  sessionsPerPrincipal: 100,
  listensPerPrincipal: 32,
  requestsPerSession: 100,
  connections: 512,
  headersTimeoutMs: 10_000,
  bodyTimeoutMs: 30_000,
  connectionIdleMs: 60_000,
  perSessionChildren: 16,
  eventStoreBytes: 64 * 1024 * 1024,
  sessionIdleMs: 30 * 60_000,
  slowReaderBytes: 8 * 1024 * 1024,
  parkedCalls: 10_000,
  parkedCallMs: 60_000,
  parkedCallsPerPrincipal: 2_500,
  bridgeLinks: 16,
  bridgeLinksPerPrincipal: 8,
};

/** Per-principal shares that follow their pool when only the pool is configured. */
const SHARES: ReadonlyArray<readonly [LimitName, LimitName, number]> = [
  ['parkedCallsPerPrincipal', 'parkedCalls', 4],
  ['bridgeLinksPerPrincipal', 'bridgeLinks', 2],
];

export type LimitName = keyof Limits;

/** Fills in defaults and checks that every limit is a positive whole number. */
export function resolveLimits(partial: Partial<Limits> = {}): Limits {
  const limits = { ...defaultLimits };
  for (const [key, value] of Object.entries(partial) as Array<[LimitName, number | undefined]>) {
    if (value === undefined) continue;
    if (!(key in defaultLimits)) throw new ConfigError(`limits.${key} is not a limit (known: ${Object.keys(defaultLimits).join(', ')})`);
    if (!Number.isInteger(value) || value < 1) throw new ConfigError(`limits.${key} must be a whole number of at least 1, not ${String(value)}`);
    limits[key] = value;
  }
  for (const [share, pool, divisor] of SHARES) {
    if (partial[share] === undefined) limits[share] = Math.max(1, Math.floor(limits[pool] / divisor));
    limits[share] = Math.min(limits[share], limits[pool]);
  }
  return limits;
}

/** A one-line description of a hit, e.g. `limit clientMessageBytes (4194304) reached`. */
export const limitText = (limit: LimitName, value: number): string => `limit ${limit} (${value}) reached`;

/** The reply (-32016, `data.limit`, `data.value`) to a request refused by a limit: `what` says what was refused. */
export function limitReply(limit: LimitName, value: number, what: string, data: Record<string, unknown> = {}): Reply {
  return errorReply(ProxyErrorCode.LimitExceeded, `${what}: ${limitText(limit, value)}`, { ...data, limit, value });
}

/**
 * Counts limit hits and logs them, at most one line per limit per second (the line carries how many
 * hits it stands for), so a flood of refusals cannot become a flood of logs. Metrics read `counts`.
 */
export class LimitReporter {
  readonly counts = new Map<LimitName, number>();
  private readonly warnings = new Map<LimitName, (fields: Record<string, unknown>) => void>();

  constructor(
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records one hit of `limit` (whose value is `value`), with fields for the log line. */
  hit(limit: LimitName, value: number, fields: Record<string, unknown> = {}): void {
    this.counts.set(limit, (this.counts.get(limit) ?? 0) + 1);
    let warn = this.warnings.get(limit);
    if (warn === undefined) {
      warn = throttledWarn(this.log, limitText(limit, value), this.now);
      this.warnings.set(limit, warn);
    }
    warn({ ...fields, limit, value });
  }

  /** How many times `limit` was hit. */
  count(limit: LimitName): number {
    return this.counts.get(limit) ?? 0;
  }
}
