import type { Logger } from '@mcproxy/core';

/**
 * A warning logged at most once a second, the next one saying how many were
 * left out (`alsoSince`): a peer that writes a million bad lines must not
 * become a million log lines. The same rule as core's `LimitReporter`.
 *
 * @example
 * const badLine = throttledWarn(log, 'a line on stdin is not JSON');
 * badLine({ line: clip(text) });
 */
export function throttledWarn(log: Logger, msg: string, now: () => number = Date.now): (fields: Record<string, unknown>) => void {
  let last = Number.NEGATIVE_INFINITY;
  let skipped = 0;
  return function warnThrottled(fields) {
    const at = now();
    if (at - last < 1000) {
      skipped += 1;
      return;
    }
    log.warn(skipped > 0 ? { ...fields, alsoSince: skipped } : fields, msg);
    last = at;
    skipped = 0;
  };
}
