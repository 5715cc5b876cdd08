/** The logging surface core needs: the subset of pino's Logger it calls. Pass a pino logger (or a child of one); the default drops everything. */
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

/** How a session id appears in logs: its first 8 characters tell sessions apart, and the whole id, an HTTP session's only credential, never does. */
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

type Bindings = Record<string, unknown>;

/** What a logger has bound already: pino says so through `bindings()`, and a `bindOnce` logger through the same. */
// Read structurally: the interface stays the five methods core calls, and a logger without it has bound nothing we know of.
const boundOf = (log: Logger): Bindings => {
  const read = (log as { bindings?: unknown }).bindings;
  return typeof read === 'function' ? (read.call(log) as Bindings) : {};
};

/**
 * A child of `log` that says each of `bindings` once per line: keys the parent has bound to the
 * same value are not bound again, and a line's own fields drop what the child has bound (pino
 * writes a key as often as it is given, so `"upstream":"a","upstream":"a"` would reach a JSON
 * reader). Children of the result keep the rule.
 *
 * @example
 * const log = bindOnce(parent, { upstream: name });
 * log.warn({ upstream: name, reason }, 'went down'); // upstream written once
 */
export function bindOnce(log: Logger, bindings: Bindings, before: Bindings = boundOf(log)): Logger {
  const fresh = Object.fromEntries(Object.entries(bindings).filter(([k, v]) => !(k in before && before[k] === v)));
  const base = Object.keys(fresh).length === 0 ? log : log.child(fresh);
  const all: Bindings = { ...before, ...bindings };
  // Only a field equal to the bound value is dropped: a different value is news and stays.
  const own = (obj: object): object => Object.fromEntries(Object.entries(obj).filter(([k, v]) => !(k in all && all[k] === v)));
  const bound: Logger & { bindings(): Bindings } = {
    debug: (obj, msg) => base.debug(own(obj), msg),
    info: (obj, msg) => base.info(own(obj), msg),
    warn: (obj, msg) => base.warn(own(obj), msg),
    error: (obj, msg) => base.error(own(obj), msg),
    child: (more) => bindOnce(base, more, all),
    bindings: () => all,
  };
  return bound;
}
