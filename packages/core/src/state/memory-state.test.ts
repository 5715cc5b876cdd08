import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryConfigVersions } from './config-version.js';
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

describe('MemoryConfigVersions', () => {
  it('holds the configuration applied now, numbered from 1', () => {
    const versions = new MemoryConfigVersions({ port: 1 });
    expect(versions.current()).toEqual({ version: 1, config: { port: 1 } });
    expect(versions.set({ port: 2 })).toEqual({ version: 2, config: { port: 2 } });
    expect(versions.current()).toEqual({ version: 2, config: { port: 2 } });
  });
});
