import type { BucketShape, BucketsTaken, RateBuckets } from '@mcproxy/core';

/** One token bucket's state: tokens left when last seen. */
interface State {
  tokens: number;
  at: number;
  shape: Shape;
}

/** What a bucket is: how fast it fills (tokens per ms) and how many it holds. */
export type Shape = BucketShape;

/**
 * Token buckets by key, in memory, at most `max` of them: past that the
 * least recently used is dropped, preferring one that has filled up again
 * (dropping it changes nothing). Time comes from `now`, so tests need no
 * waiting. The store a rate-limit entry uses unless it is given another.
 */
export class Buckets implements RateBuckets {
  private readonly states = new Map<string, State>();

  constructor(
    private readonly max: number,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.states.size;
  }

  /** Tokens in `key`'s bucket now (a new bucket is full). */
  private level(key: string, shape: Shape, at: number): number {
    const s = this.states.get(key);
    if (s === undefined) return shape.size;
    return Math.min(shape.size, s.tokens + (at - s.at) * shape.perMs);
  }

  /**
   * Takes one token from each bucket, or none: resolves to 0 when all had
   * one, else to the milliseconds until the emptiest would have one.
   */
  take(wanted: ReadonlyArray<{ key: string; shape: Shape }>): BucketsTaken {
    const at = this.now();
    const levels = wanted.map((w) => this.level(w.key, w.shape, at));
    let waitMs = 0;
    let blocking: number | undefined;
    levels.forEach((level, i) => {
      if (level >= 1) return;
      const shape = wanted[i]!.shape;
      const wait = (1 - level) / shape.perMs;
      if (wait > waitMs) {
        waitMs = wait;
        blocking = i;
      }
    });
    // Less than a microsecond over a whole millisecond is floating-point noise, not a wait.
    if (blocking !== undefined) return { waitMs: Math.ceil(waitMs - 1e-6), blocking };
    wanted.forEach((w, i) => {
      this.states.delete(w.key);
      this.states.set(w.key, { tokens: levels[i]! - 1, at, shape: w.shape });
      this.trim(at);
    });
    return { waitMs: 0 };
  }

  private trim(at: number): void {
    if (this.states.size <= this.max) return;
    for (const [key, s] of this.states) {
      // The first full bucket found, or failing that the least recently used.
      if (s.tokens + (at - s.at) * s.shape.perMs >= s.shape.size) {
        this.states.delete(key);
        return;
      }
    }
    this.states.delete(this.states.keys().next().value as string);
  }
}
