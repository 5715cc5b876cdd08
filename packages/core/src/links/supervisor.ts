import type { CloseInfo } from '../wire/channel.js';
import { ConfigError, ProxyError, ProxyErrorCode } from '../wire/errors.js';
import { bindOnce, type Logger } from '../wire/logger.js';

/** How an upstream that keeps failing is retried. */
export interface Supervision {
  /** The wait after the second failure in a row; it doubles with each further failure. */
  initialDelayMs: number;
  /** The longest wait between two tries. */
  maxDelayMs: number;
  /** A link that stayed up this long was healthy: the next failure starts counting again. */
  stableMs: number;
}

export const defaultSupervision: Supervision = { initialDelayMs: 500, maxDelayMs: 30_000, stableMs: 10_000 };

export function resolveSupervision(partial: Partial<Supervision> = {}): Supervision {
  const s = { ...defaultSupervision, ...partial };
  for (const [key, value] of Object.entries(s)) {
    if (!Number.isInteger(value) || value < 0) throw new ConfigError(`supervision.${key} must be a whole number of milliseconds, not ${String(value)}`);
  }
  if (s.maxDelayMs < s.initialDelayMs)
    throw new ConfigError(`supervision.maxDelayMs (${s.maxDelayMs}) is shorter than supervision.initialDelayMs (${s.initialDelayMs})`);
  return s;
}

export type UpstreamState = 'idle' | 'up' | 'backing-off';

/** What the proxy knows of one upstream's health, for error messages and (later) health endpoints. */
export interface UpstreamHealth {
  state: UpstreamState;
  /** Links that failed or closed on their own since the proxy started. */
  restarts: number;
  /** Failures in a row (reset by a link that stays up `stableMs`). */
  failures: number;
  lastError: CloseInfo | undefined;
  /** While backing off: when the next try may start (ms since the epoch). */
  retryAt: number | undefined;
}

/**
 * Watches one upstream across all its links, shared or per-session alike. The first failure after a
 * healthy spell may be retried at once (an HTTP server that restarted, a child that crashed once);
 * each failure after that waits twice as long as the one before, with jitter, up to `maxDelayMs`.
 * While it waits, opening a link fails fast with an error that says why the upstream went down and
 * when it is tried again.
 */
export class Supervisor {
  private failures = 0;
  private restarts = 0;
  private retryAt = 0;
  private lastError: CloseInfo | undefined;
  private openLinks = 0;
  private readonly log: Logger;

  constructor(
    readonly name: string,
    private readonly options: Supervision,
    log: Logger,
    private readonly random: () => number = Math.random,
  ) {
    // Its lines name the upstream whatever logger it was given, and once even when that one names it already.
    this.log = bindOnce(log, { upstream: name });
  }

  /** Throws the fail-fast error while the upstream is backed off. */
  check(now = Date.now()): void {
    if (now >= this.retryAt) return;
    const info = this.lastError;
    const waitMs = this.retryAt - now;
    // Transports name the upstream in their reasons: said once is enough.
    const reason = (info?.reason ?? 'it failed').replace(`upstream "${this.name}" `, '');
    throw new ProxyError(ProxyErrorCode.UpstreamUnavailable, `upstream "${this.name}" is unavailable: ${reason}; it is tried again in ${formatMs(waitMs)}`, {
      ...info?.data,
      upstream: this.name,
      retryAt: this.retryAt,
      retryInMs: waitMs,
      failures: this.failures,
    });
  }

  /** A link opened; returns what to call when it closes. */
  opened(now = Date.now()): (info: CloseInfo | undefined, byUs: boolean) => void {
    this.openLinks += 1;
    return (info, byUs) => {
      this.openLinks -= 1;
      if (byUs) return;
      const lived = Date.now() - now;
      if (lived >= this.options.stableMs) this.failures = 0;
      this.fail(info ?? { reason: 'it closed the connection' });
    };
  }

  /** A link could not be opened at all (spawn failed, connection refused, handshake refused). */
  fail(info: CloseInfo, now = Date.now()): void {
    this.failures += 1;
    this.restarts += 1;
    this.lastError = info;
    const delay = this.delayFor(this.failures);
    this.retryAt = now + delay;
    const fields = { upstream: this.name, reason: info.reason, ...info.data, failures: this.failures };
    if (delay === 0) this.log.warn(fields, `upstream "${this.name}" went down: ${info.reason}; the next request opens it again`);
    else this.log.warn({ ...fields, retryInMs: delay }, `upstream "${this.name}" went down: ${info.reason}; backing off ${formatMs(delay)}`);
  }

  health(now = Date.now()): UpstreamHealth {
    const state: UpstreamState = now < this.retryAt ? 'backing-off' : this.openLinks > 0 ? 'up' : 'idle';
    return { state, restarts: this.restarts, failures: this.failures, lastError: this.lastError, retryAt: state === 'backing-off' ? this.retryAt : undefined };
  }

  /** No wait after one failure; then initialDelayMs · 2^(n-2), capped, scaled by a random 50–100 %. */
  private delayFor(failures: number): number {
    if (failures <= 1) return 0;
    const { initialDelayMs, maxDelayMs } = this.options;
    const full = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(failures - 2, 30));
    return Math.round(full * (0.5 + this.random() / 2));
  }
}

const formatMs = (ms: number): string => (ms < 1000 ? `${Math.max(1, Math.round(ms))} ms` : `${(ms / 1000).toFixed(1)} s`);
