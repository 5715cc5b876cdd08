import { type Principal, principalKey } from '@mcproxy/core';
import { BoundedMap } from './bounded-map.js';

/**
 * The latest verified inbound JWT of each principal, for token exchange: the
 * HTTP face notes it after verifying the token, the exchange reads it. At
 * most `maxEntries` principals (10,000 by default, least recently used
 * dropped); an entry is gone once the JWT's `exp` has passed.
 */
export class SubjectTokens {
  private readonly tokens: BoundedMap<string, { token: string; expiresAt: number | undefined }>;

  constructor(options: { maxEntries?: number; now?: () => number } = {}) {
    this.tokens = new BoundedMap(options.maxEntries ?? 10_000);
    this.now = options.now ?? Date.now;
  }

  private readonly now: () => number;

  /** Remembers `token` as `principal`'s latest; `expiresAt` in ms since the epoch. */
  note(principal: Principal, token: string, expiresAt?: number): void {
    this.tokens.set(principalKey(principal) as string, { token, expiresAt });
  }

  /** The principal's latest token still valid, if any. */
  latest(principal: Principal | undefined): string | undefined {
    const key = principalKey(principal);
    if (key === undefined) return undefined;
    const entry = this.tokens.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= this.now()) {
      this.tokens.delete(key);
      return undefined;
    }
    return entry.token;
  }
}
