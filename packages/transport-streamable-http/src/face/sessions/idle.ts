import type { ServerResponse } from 'node:http';

/**
 * Fires `onIdle` once nothing has been open on a session for `ms`: no
 * request being answered, no SSE stream held. Clients often just go away
 * (the SDK's `Client.close()` sends no DELETE), and without this their
 * sessions, and the per-session upstream links behind them, would live as
 * long as the proxy. `ms` of 0 turns it off. `stop` is for good: the
 * responses of a closed session still close afterwards (the DELETE's own,
 * for one), and a timer armed then would keep the whole session, through
 * `onIdle`, in memory until it fired.
 */
export class IdleWatch {
  private open = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private tracked = 0;

  /**
   * `unusedMs`, when shorter, applies until the session's second request
   * (the first is its initialize): a session opened and never used is the
   * cheapest way to fill the session table, so it goes sooner.
   */
  constructor(
    private readonly ms: number,
    private readonly onIdle: () => void,
    private readonly unusedMs: number = ms,
  ) {
    this.arm();
  }

  /** Counts `res` as activity until it closes. */
  track(res: ServerResponse): void {
    this.open++;
    this.tracked++;
    clearTimeout(this.timer);
    res.once('close', () => {
      if (--this.open === 0) this.arm();
    });
  }

  /** Ends the watch: nothing arms it again. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.ms <= 0 || this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(this.onIdle, this.tracked <= 1 ? Math.min(this.ms, this.unusedMs) : this.ms);
    // A forgotten session must not keep the process alive.
    this.timer.unref();
  }
}
