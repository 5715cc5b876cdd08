import type { Logger } from '@mcproxy/core';

export interface Entry {
  level: 'debug' | 'info' | 'warn' | 'error';
  /** The logged object with every binding of the child loggers merged in, as pino would print it. */
  fields: Record<string, unknown>;
  msg: string | undefined;
}

type Waiter = { match: (e: Entry) => boolean; resolve: (e: Entry) => void };

/**
 * A Logger that keeps what it is given, so tests can assert on it and wait
 * for an entry (an event, not a sleep) instead of polling.
 */
export class RecordingLogger implements Logger {
  readonly entries: Entry[] = [];
  private waiters: Waiter[] = [];

  constructor(
    private readonly bindings: Record<string, unknown> = {},
    private readonly root?: RecordingLogger,
  ) {}

  debug(obj: object, msg?: string): void {
    this.record('debug', obj, msg);
  }
  info(obj: object, msg?: string): void {
    this.record('info', obj, msg);
  }
  warn(obj: object, msg?: string): void {
    this.record('warn', obj, msg);
  }
  error(obj: object, msg?: string): void {
    this.record('error', obj, msg);
  }

  child(bindings: Record<string, unknown>): Logger {
    return new RecordingLogger({ ...this.bindings, ...bindings }, this.root ?? this);
  }

  /** Resolves with the first entry, past or future, that `match` accepts. */
  next(match: (e: Entry) => boolean): Promise<Entry> {
    const top = this.root ?? this;
    const seen = top.entries.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => top.waiters.push({ match, resolve }));
  }

  private record(level: Entry['level'], obj: object, msg: string | undefined): void {
    const top = this.root ?? this;
    const entry: Entry = { level, fields: { ...this.bindings, ...obj }, msg };
    top.entries.push(entry);
    top.waiters = top.waiters.filter((w) => {
      if (!w.match(entry)) return true;
      w.resolve(entry);
      return false;
    });
  }
}
