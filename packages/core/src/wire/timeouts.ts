import { ConfigError } from './errors.js';

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

/** How long a link no session uses is kept before it closes (a principal's shared link, the bridge's spare links): principals come and go, links must not pile up. */
export const IDLE_LINK_MS = 60_000;

/** Deadlines with the defaults filled in; a hard limit shorter than the request timeout cannot work (`ConfigError`). */
export function resolveTimeouts(partial: Partial<Timeouts> | undefined): Timeouts {
  const timeouts = { ...defaultTimeouts, ...partial };
  if (timeouts.maxMs < timeouts.requestMs)
    throw new ConfigError(`the maximum request time (${timeouts.maxMs} ms) is shorter than the request timeout (${timeouts.requestMs} ms)`);
  return timeouts;
}
