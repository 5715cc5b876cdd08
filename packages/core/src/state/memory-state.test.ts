import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemorySecretKeys } from './keys.js';

describe('MemorySecretKeys', () => {
  it('derives one key per purpose from a secret, the same in every ring given it', () => {
    const secret = 's'.repeat(32);
    const keys = new MemorySecretKeys(secret);
    expect(Buffer.from(keys.key('task ids'))).toEqual(createHmac('sha256', secret).update('task ids').digest());
    expect(keys.key('task ids')).toEqual(new MemorySecretKeys(secret).key('task ids'));
    expect(keys.key('task ids')).not.toEqual(keys.key('request state'));
  });

  it('without a secret, draws a random key per purpose and keeps it while the ring lives', () => {
    const keys = new MemorySecretKeys();
    expect(keys.key('a')).toHaveLength(32);
    expect(keys.key('a')).toBe(keys.key('a'));
    expect(keys.key('a')).not.toEqual(keys.key('b'));
    expect(keys.key('a')).not.toEqual(new MemorySecretKeys().key('a'));
  });
});
