import { describe, expect, it } from 'vitest';
import { RecordingLogger } from '../test/recording-logger.js';
import { linesPerSecond, throttledWarn } from './log-throttle.js';

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

describe('linesPerSecond', () => {
  it('passes so many lines a second and counts the rest, told with a later second or at flush', () => {
    let now = 0;
    const passed: string[] = [];
    const skipped: number[] = [];
    const lines = linesPerSecond(2, (t) => passed.push(t), (n) => skipped.push(n), () => now);
    for (const t of ['a', 'b', 'c', 'd']) lines.line(t);
    now = 1000;
    lines.line('e');
    for (const t of ['f', 'g']) lines.line(t);
    lines.flush();
    expect(passed).toEqual(['a', 'b', 'e', 'f']);
    expect(skipped).toEqual([2, 1]);
  });
});
