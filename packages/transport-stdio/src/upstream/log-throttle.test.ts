import { describe, expect, it } from 'vitest';
import { linesPerSecond } from './log-throttle.js';

describe('linesPerSecond', () => {
  it('passes so many lines a second and counts the rest, told with a later second or at flush', () => {
    let now = 0;
    const passed: string[] = [];
    const skipped: number[] = [];
    const lines = linesPerSecond(
      2,
      (t) => passed.push(t),
      (n) => skipped.push(n),
      () => now,
    );
    for (const t of ['a', 'b', 'c', 'd']) lines.line(t);
    now = 1000;
    lines.line('e');
    for (const t of ['f', 'g']) lines.line(t);
    lines.flush();
    expect(passed).toEqual(['a', 'b', 'e', 'f']);
    expect(skipped).toEqual([2, 1]);
  });
});
