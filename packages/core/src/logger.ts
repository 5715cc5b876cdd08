/**
 * The logging surface core needs: the subset of pino's Logger it calls. Pass
 * a pino logger (or a child of one); the default drops everything.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

const noop = (): void => {};

export const silentLogger: Logger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLogger,
};

/**
 * How a session id appears in logs: its first 8 characters tell sessions
 * apart, and the whole id, an HTTP session's only credential, never does.
 */
export const logId = (id: string): string => id.slice(0, 8);

/**
 * A warning logged at most once a second, the next one saying how many were
 * left out (`alsoSince`): a peer that writes a million bad lines, or a client
 * that hits a limit a million times, must not become a million log lines.
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
