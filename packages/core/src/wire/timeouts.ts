/**
 * Deadlines for requests the proxy forwards. `requestMs` is how long an
 * answer may take; progress restarts that clock when `resetOnProgress` is on;
 * `maxMs` is a hard limit that progress cannot extend.
 */
export interface Timeouts {
  requestMs: number;
  maxMs: number;
  resetOnProgress: boolean;
}

export const defaultTimeouts: Timeouts = { requestMs: 60_000, maxMs: 600_000, resetOnProgress: true };
