import { BoundedMap } from '../bounded-map.js';
import { type StoredTokens, type TokenKey, type TokenStore, tokenKeyString } from './token-store.js';

/**
 * The default store: tokens in this process only, at most `maxEntries`
 * (10,000 by default), the least recently used dropped first (its principal
 * is asked to consent again, which is safe).
 */
export class MemoryTokenStore implements TokenStore {
  private readonly entries: BoundedMap<string, StoredTokens>;

  constructor(options: { maxEntries?: number } = {}) {
    this.entries = new BoundedMap(options.maxEntries ?? 10_000);
  }

  async get(key: TokenKey): Promise<StoredTokens | undefined> {
    return this.entries.get(tokenKeyString(key));
  }

  async set(key: TokenKey, tokens: StoredTokens): Promise<void> {
    this.entries.set(tokenKeyString(key), tokens);
  }

  async delete(key: TokenKey): Promise<void> {
    this.entries.delete(tokenKeyString(key));
  }
}
