import { ProxyErrorCode, type Logger, type Params, type Reply } from '@mcproxy/core';

const MAX_BACKOFF_MS = 30_000;
const FAILURES: ReadonlySet<number> = new Set([ProxyErrorCode.UpstreamClosed, ProxyErrorCode.UpstreamUnavailable, ProxyErrorCode.RequestTimeout]);

interface Down {
  until: number;
  delay: number;
  reason: string;
  /** It has never answered, and its last request timed out: a server still starting. */
  starting: boolean;
  /** What the failure said of itself (core's supervisor: retryAt, exitCode, signal, stderr), relayed as is. */
  data: Params;
}

/** Why an upstream is being skipped: the message to answer with, and the data to answer it with. */
export interface Skipped {
  message: string;
  data: Params;
}

/**
 * Which upstreams have just failed, proxy-wide. A failed upstream is left
 * out of merged lists and its calls fail at once, until a back-off (from
 * `retryMs`, doubling to 30 s, or until core's own `retryAt` when core says
 * it is backing the upstream off for longer) has passed; then the next
 * request tries it again. This is what keeps one dead server from slowing
 * every list. `epoch` changes whenever an upstream goes down or comes back,
 * so a session can tell that a merged view it keeps is out of date.
 */
export class Health {
  private readonly down = new Map<string, Down>();
  private readonly failures = new Map<string, number>();
  /** Upstreams that have answered anything since the proxy started: the others may still be starting. */
  private readonly answered = new Set<string>();
  /** Upstreams for which one list already waited `startupTimeoutMs` in vain. */
  private readonly startupSpent = new Set<string>();
  private changes = 0;

  constructor(
    private readonly retryMs: number,
    private readonly log: Logger,
  ) {}

  /** Counts every change of who is down; a view built at another epoch may show a dead upstream. */
  get epoch(): number {
    return this.changes;
  }

  /** How many times `upstream` has failed so far: a list kept from before its last failure may be another server's. */
  failuresOf(upstream: string): number {
    return this.failures.get(upstream) ?? 0;
  }

  /** Why `upstream` is being skipped, or undefined when it may be tried. */
  skip(upstream: string, now = Date.now()): string | undefined {
    return this.skipped(upstream, now)?.message;
  }

  /** Like `skip`, with the data of the failure (core's `retryAt`, `exitCode`, …) and `upstream`. */
  skipped(upstream: string, now = Date.now()): Skipped | undefined {
    const d = this.down.get(upstream);
    if (d === undefined || now >= d.until) return undefined;
    return { message: `${d.reason} (tried again in ${Math.ceil((d.until - now) / 1000)} s)`, data: { ...d.data, upstream } };
  }

  /**
   * May a list wait for `upstream` to start (with `startupTimeoutMs`, and
   * even while it is backed off)? Until it has answered once, and only
   * until one such wait has run out or it failed other than by keeping
   * silent: the wait is paid once, not per list.
   */
  mayWaitForStart(upstream: string): boolean {
    return !this.answered.has(upstream) && !this.startupSpent.has(upstream);
  }

  /** A list waited `startupTimeoutMs` for `upstream` and got nothing: later lists skip it while it is backed off. */
  startupWaitRanOut(upstream: string): void {
    this.startupSpent.add(upstream);
  }

  /** Why `upstream` is skipped now, when its back-off began before it ever answered a timed-out request: it is still starting. */
  startingOf(upstream: string, now = Date.now()): { reason: string; retryInMs: number } | undefined {
    const d = this.down.get(upstream);
    return d === undefined || !d.starting || now >= d.until ? undefined : { reason: d.reason, retryInMs: d.until - now };
  }

  /** Notes how a request to `upstream` went: a reply that says the upstream itself failed counts as a failure. */
  observe(upstream: string, reply: Reply): void {
    const e = reply.error;
    const data = e?.data as Params | undefined;
    if (e !== undefined && FAILURES.has(e.code) && data?.upstream === upstream) {
      this.fail(upstream, e.message, data, e.code === ProxyErrorCode.RequestTimeout && !this.answered.has(upstream));
    } else this.ok(upstream);
  }

  fail(upstream: string, reason: string, data: Params = {}, starting = false): void {
    this.failures.set(upstream, this.failuresOf(upstream) + 1);
    // One that failed outright (exited, refused) is not starting: lists keep to its back-off, as for any other.
    if (!starting) this.startupSpent.add(upstream);
    if (this.retryMs === 0) return;
    const before = this.down.get(upstream);
    const delay = before === undefined ? this.retryMs : Math.min(before.delay * 2, MAX_BACKOFF_MS);
    const now = Date.now();
    // Core's supervisor may know better when the upstream is back: never retry before it does.
    const retryAt = typeof data.retryAt === 'number' && Number.isFinite(data.retryAt) ? data.retryAt : 0;
    const until = Math.max(now + delay, Math.min(retryAt, now + MAX_BACKOFF_MS));
    this.down.set(upstream, { until, delay, reason, data, starting });
    if (before === undefined) this.changes++;
    this.log.warn({ upstream, retryInMs: until - now, reason }, 'upstream failing; left out until the retry');
  }

  ok(upstream: string): void {
    this.answered.add(upstream);
    if (!this.down.delete(upstream)) return;
    this.changes++;
    this.log.info({ upstream }, 'upstream answering again');
  }
}
