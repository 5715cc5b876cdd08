/** What a token bucket is: how fast it refills (tokens per millisecond) and how many tokens it holds. */
export interface BucketShape {
  perMs: number;
  size: number;
}

/** What taking from buckets came to: `waitMs` 0 when every bucket had a token, else how long until the emptiest (index `blocking`) has one. */
export interface BucketsTaken {
  waitMs: number;
  blocking?: number;
}

/**
 * Where a rate limiter keeps its token buckets, by key. Owned by one rate-limit entry
 * (mw-rate-limit keeps them in memory by default, one store per entry); a bucket lives until the
 * store drops it, and the store bounds how many it keeps (a dropped bucket starts full again).
 * Several processes sharing one store would share their limits.
 */
export interface RateBuckets {
  /**
   * Takes one token from each of `wanted`'s buckets, or none: all or
   * nothing, so a refused request costs no bucket anything. A bucket not
   * seen before is full. A shared store (Redis) answers with a promise.
   */
  take(wanted: ReadonlyArray<{ key: string; shape: BucketShape }>): BucketsTaken | Promise<BucketsTaken>;
  /** Buckets kept now. */
  readonly size: number;
}
