import { createHash, timingSafeEqual } from 'node:crypto';
import type { Principal } from '@mcproxy/core';
import type { ApiKeyOptions } from './options.js';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * The configured API keys, kept only as SHA-256 digests. A presented key is
 * hashed and compared with every digest in constant time (no early exit),
 * so neither the answer's timing nor its length says how close a guess was.
 */
export class ApiKeys {
  private readonly keys: ReadonlyArray<{ digest: Buffer; principal: Principal }>;

  constructor(keys: readonly ApiKeyOptions[]) {
    this.keys = keys.map((k) => ({
      digest: k.sha256 === undefined ? digest(k.key ?? '') : Buffer.from(k.sha256, 'hex'),
      principal: Object.freeze({ id: k.id, kind: 'api-key' as const, scopes: Object.freeze([...k.scopes]), claims: Object.freeze({}) }),
    }));
  }

  get size(): number {
    return this.keys.length;
  }

  /** The principal whose key this is, or undefined. */
  match(presented: string): Principal | undefined {
    const asked = digest(presented);
    let found: Principal | undefined;
    for (const k of this.keys) if (timingSafeEqual(asked, k.digest) && found === undefined) found = k.principal;
    return found;
  }
}
