/**
 * Passes at most `perSecond` lines a second to `pass`; the rest are counted,
 * and the count goes to `skipped` with the first line of a later second (or
 * at `flush`). A child that floods stderr costs a bounded number of log lines.
 */
export function linesPerSecond(
  perSecond: number,
  pass: (text: string) => void,
  skipped: (count: number) => void,
  now: () => number = Date.now,
): { line(text: string): void; flush(): void } {
  let windowStart = Number.NEGATIVE_INFINITY;
  let used = 0;
  let dropped = 0;
  const flush = (): void => {
    if (dropped > 0) skipped(dropped);
    dropped = 0;
  };
  return {
    line(text) {
      const at = now();
      if (at - windowStart >= 1000) {
        flush();
        windowStart = at;
        used = 0;
      }
      if (used < perSecond) {
        used += 1;
        pass(text);
      } else {
        dropped += 1;
      }
    },
    flush,
  };
}
