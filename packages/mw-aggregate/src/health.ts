import { ProxyErrorCode, type Logger, type Reply } from '@mcproxy/core';

const MAX_BACKOFF_MS = 30_000;
const FAILURES: ReadonlySet<number> = new Set([ProxyErrorCode.UpstreamClosed, ProxyErrorCode.UpstreamUnavailable, ProxyErrorCode.RequestTimeout]);

interface Down {
  until: number;
  delay: number;
  reason: string;
}

/**
 * Which upstreams have just failed, proxy-wide. A failed upstream is left
 * out of merged lists and its calls fail at once, until a back-off (from
 * `retryMs`, doubling to 30 s) has passed; then the next request tries it
 * again. This is what keeps one dead server from slowing every list.
 */
export class Health {
  private readonly down = new Map<string, Down>();

  constructor(private readonly retryMs: number, private readonly log: Logger) {}

  /** Why `upstream` is being skipped, or undefined when it may be tried. */
  skip(upstream: string, now = Date.now()): string | undefined {
    const d = this.down.get(upstream);
    if (d === undefined || now >= d.until) return undefined;
    return `${d.reason} (tried again in ${Math.ceil((d.until - now) / 1000)} s)`;
  }

  /** Notes how a request to `upstream` went: a reply that says the upstream itself failed counts as a failure. */
  observe(upstream: string, reply: Reply): void {
    const e = reply.error;
    const data = e?.data as { upstream?: unknown } | undefined;
    if (e !== undefined && FAILURES.has(e.code) && data?.upstream === upstream) this.fail(upstream, e.message);
    else this.ok(upstream);
  }

  fail(upstream: string, reason: string): void {
    if (this.retryMs === 0) return;
    const before = this.down.get(upstream);
    const delay = before === undefined ? this.retryMs : Math.min(before.delay * 2, MAX_BACKOFF_MS);
    this.down.set(upstream, { until: Date.now() + delay, delay, reason });
    this.log.warn({ upstream, retryInMs: delay, reason }, 'upstream failing; left out until the retry');
  }

  ok(upstream: string): void {
    if (this.down.delete(upstream)) this.log.info({ upstream }, 'upstream answering again');
  }
}
