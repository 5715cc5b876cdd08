import type { Params } from '@mcproxy/core';

/** The caching hints of a 2026-07-28 result (`ttlMs`, `cacheScope`). */
export interface Hints {
  ttlMs: number;
  cacheScope: 'public' | 'private';
}

/** What a result that says nothing may be trusted for: stale at once, and private. */
export const NO_HINTS: Hints = { ttlMs: 0, cacheScope: 'private' };

/**
 * The hints a result carries, read as a careful client would: a missing or
 * negative `ttlMs` is 0, and a result that does not say it is public is
 * private (an upstream that forgot must not have its data shared).
 */
export function hintsOf(result: Params | undefined): Hints {
  const ttl = result?.ttlMs;
  return {
    ttlMs: typeof ttl === 'number' && Number.isFinite(ttl) && ttl > 0 ? Math.floor(ttl) : 0,
    cacheScope: result?.cacheScope === 'public' ? 'public' : 'private',
  };
}

/**
 * The hints of a result made of several: fresh only as long as its
 * stalest part, and private if any part is. Nothing to merge is stale and
 * private, like a result that says nothing.
 */
export function strictest(all: readonly Hints[]): Hints {
  if (all.length === 0) return NO_HINTS;
  return {
    ttlMs: Math.min(...all.map((h) => h.ttlMs)),
    cacheScope: all.every((h) => h.cacheScope === 'public') ? 'public' : 'private',
  };
}
