import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SecretKeys } from '../../state/keys.js';

/** Why a sealed token did not open. */
export type SealFailure = 'malformed' | 'verification';

/**
 * Seals small JSON payloads a client must hand back unchanged (a
 * `requestState`): `base64url(payload).base64url(HMAC-SHA256)`. Signed, not
 * encrypted: put nothing secret in a payload. Without a key, a random one is
 * drawn, so tokens do not outlive the process.
 *
 * @example
 * const seal = new Seal();
 * const token = seal.seal({ call: 'abc', exp: Date.now() + 60_000 });
 * const opened = seal.open(token); // { payload: { call: 'abc', exp: … } }
 */
export class Seal {
  private readonly fixed: Buffer | undefined;
  private readonly ring: { ring: SecretKeys; purpose: string } | undefined;

  /**
   * `key`: a configured secret (its UTF-8 bytes), a key of a `SecretKeys`
   * ring, or the ring and a purpose (asked each time, so a rotated ring
   * seals with its new key and still opens what its previous keys sealed);
   * random when absent.
   */
  constructor(key?: string | Uint8Array | { ring: SecretKeys; purpose: string }) {
    if (key !== undefined && typeof key === 'object' && 'ring' in key) {
      this.ring = key;
      return;
    }
    this.fixed = key === undefined ? randomBytes(32) : typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
  }

  /** The key that seals now, then every key that still opens. */
  private keys(): Uint8Array[] {
    if (this.fixed !== undefined) return [this.fixed];
    const { ring, purpose } = this.ring!;
    return [ring.key(purpose), ...(ring.previous?.(purpose) ?? [])];
  }

  seal(payload: object): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${mac(this.keys()[0]!, body)}`;
  }

  /** The payload of a token this seal made, or why it is not one. */
  open(token: unknown): { payload: Record<string, unknown> } | { failure: SealFailure } {
    if (typeof token !== 'string') return { failure: 'malformed' };
    const dot = token.lastIndexOf('.');
    if (dot <= 0) return { failure: 'malformed' };
    const body = token.slice(0, dot);
    // Compared as text, so two encodings of one MAC cannot both pass.
    if (!signedByAny(this.keys(), body, token.slice(dot + 1))) return { failure: 'verification' };
    let payload: unknown;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return { failure: 'malformed' };
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return { failure: 'malformed' };
    return { payload: payload as Record<string, unknown> };
  }
}

/** HMAC-SHA256 of `body` under `key`, base64url: what a sealed token carries after its last dot. */
export const mac = (key: Uint8Array, body: string): string => createHmac('sha256', key).update(body).digest('base64url');

/** Whether `given` is `body`'s MAC under one of `keys` (a ring's current and previous keys), compared as text in constant time. */
export function signedByAny(keys: readonly Uint8Array[], body: string, given: string): boolean {
  const text = Buffer.from(given);
  return keys.some((key) => {
    const expected = Buffer.from(mac(key, body));
    return text.length === expected.length && timingSafeEqual(text, expected);
  });
}
