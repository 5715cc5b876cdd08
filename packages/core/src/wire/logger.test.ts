import { describe, expect, it } from 'vitest';
import { bindOnce, logId, throttledWarn, type Logger } from './logger.js';
import { defaultSupervision, Supervisor } from '../links/supervisor.js';

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

/** Writes as pino does: a line is its bindings, then its fields, key by key, repeats and all. */
class PairsLogger implements Logger {
  constructor(
    readonly lines: Array<Array<[string, unknown]>> = [],
    private readonly bound: Record<string, unknown> = {},
    private readonly pairs: Array<[string, unknown]> = [],
  ) {}
  private write(fields: object): void {
    this.lines.push([...this.pairs, ...Object.entries(fields)]);
  }
  debug(fields: object): void {
    this.write(fields);
  }
  info(fields: object): void {
    this.write(fields);
  }
  warn(fields: object): void {
    this.write(fields);
  }
  error(fields: object): void {
    this.write(fields);
  }
  child(bindings: Record<string, unknown>): Logger {
    return new PairsLogger(this.lines, { ...this.bound, ...bindings }, [...this.pairs, ...Object.entries(bindings)]);
  }
  bindings(): Record<string, unknown> {
    return this.bound;
  }
}

const keysOf = (line: Array<[string, unknown]>): string[] => line.map(([k]) => k);

describe('bindOnce', () => {
  it('writes a bound key once, whether the parent bound it too or the line repeats it', () => {
    const root = new PairsLogger();
    const log = bindOnce(root.child({ upstream: 'a' }), { upstream: 'a', route: '/mcp' });
    log.warn({ upstream: 'a', reason: 'x' });
    log.child({ route: '/mcp', more: 1 }).info({ route: '/mcp' });
    expect(root.lines.map(keysOf)).toEqual([
      ['upstream', 'route', 'reason'],
      ['upstream', 'route', 'more'],
    ]);
  });

  it('keeps a field whose value differs from the bound one: that is news', () => {
    const root = new PairsLogger();
    bindOnce(root, { upstream: 'a' }).info({ upstream: 'b' });
    expect(root.lines[0]).toEqual([
      ['upstream', 'a'],
      ['upstream', 'b'],
    ]);
  });

  it('gives the supervisor\'s "went down" line one upstream key, under the child logger the link pool hands it', () => {
    const root = new PairsLogger();
    const supervisor = new Supervisor('broken', defaultSupervision, root.child({ upstream: 'broken' }));
    supervisor.fail({ reason: 'connect ECONNREFUSED' });
    supervisor.fail({ reason: 'connect ECONNREFUSED' });
    for (const line of root.lines) expect(keysOf(line).filter((k) => k === 'upstream')).toHaveLength(1);
    expect(root.lines).toHaveLength(2);
  });
});
