import { createHmac, randomBytes } from 'node:crypto';

/**
 * Where the keys that sign what a client must hand back unchanged come from (aggregate's task ids,
 * sealed states): one key per purpose, so a token made for one purpose never passes for another.
 * The key of a purpose stays the same for as long as the ring lives; tokens signed with it stay
 * valid that long.
 */
export interface SecretKeys {
  /** The current key for `purpose`, as bytes. */
  key(purpose: string): Uint8Array;
  /** Keys of `purpose` rotated out that still open what they signed (a shared ring's previous key); none by default. */
  previous?(purpose: string): readonly Uint8Array[];
}

/**
 * Keys in memory. With `secret` (from configuration: `stateKey`), each purpose's key is
 * HMAC-SHA256(secret, purpose), the same in every process given that secret and after a restart;
 * without one, a random 32 bytes per purpose, drawn on first use, gone with the ring. Holds one key
 * per purpose asked for: a few, named in code.
 *
 * @example
 * const keys = new MemorySecretKeys(options.stateKey);
 * createHmac('sha256', keys.key('mcproxy task ids')).update(body).digest();
 */
export class MemorySecretKeys implements SecretKeys {
  private readonly keys = new Map<string, Uint8Array>();

  constructor(private readonly secret?: string) {}

  key(purpose: string): Uint8Array {
    let key = this.keys.get(purpose);
    if (key === undefined) {
      key = this.secret === undefined ? randomBytes(32) : createHmac('sha256', this.secret).update(purpose).digest();
      this.keys.set(purpose, key);
    }
    return key;
  }
}
