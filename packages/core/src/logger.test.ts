import { describe, expect, it } from 'vitest';
import { logId, throttledWarn, type Logger } from './logger.js';

/** A logger that keeps every entry, as the assertions below read them. */
class RecordingLogger implements Logger {
  readonly entries: Array<{ level: string; fields: object; msg: string | undefined }> = [];
  debug(fields: object, msg?: string): void {
    this.entries.push({ level: 'debug', fields, msg });
  }
  info(fields: object, msg?: string): void {
    this.entries.push({ level: 'info', fields, msg });
  }
  warn(fields: object, msg?: string): void {
    this.entries.push({ level: 'warn', fields, msg });
  }
  error(fields: object, msg?: string): void {
    this.entries.push({ level: 'error', fields, msg });
  }
  child(): Logger {
    return this;
  }
}

describe('throttledWarn', () => {
  it('logs the first warning, then at most one a second with the count it left out', () => {
    const log = new RecordingLogger();
    let now = 10_000;
    const warn = throttledWarn(log, 'bad line', () => now);
    warn({ n: 1 });
    warn({ n: 2 });
    warn({ n: 3 });
    now += 999;
    warn({ n: 4 });
    now += 1;
    warn({ n: 5 });
    now += 5_000;
    warn({ n: 6 });
    expect(log.entries.map((e) => e.fields)).toEqual([{ n: 1 }, { n: 5, alsoSince: 3 }, { n: 6 }]);
    expect(log.entries.every((e) => e.level === 'warn' && e.msg === 'bad line')).toBe(true);
  });
});

describe('logId', () => {
  it('tells sessions apart by a prefix, never the whole id', () => {
    expect(logId('f960f01d-1c0f-46f4-9b13-df1145ac642c')).toBe('f960f01d');
  });
});
