import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EncryptedFileTokenStore, parseStoreKey } from '../src/store/file-store.js';
import { MemoryTokenStore } from '../src/store/memory-store.js';
import { SubjectTokens } from '../src/subject-tokens.js';
import { principal } from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempFile = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'ua-store-'));
  dirs.push(dir);
  return join(dir, 'tokens.json');
};
const key = { principal: 'jwt:alice', issuer: 'https://as.example', resource: 'https://up.example/mcp' };
const tokens = { accessToken: 'at-SECRET-1', tokenType: 'Bearer', refreshToken: 'rt-SECRET-2', expiresAt: 1, issuer: 'https://as.example' };

describe('MemoryTokenStore', () => {
  it('keeps at most maxEntries, dropping the least recently used', async () => {
    const store = new MemoryTokenStore({ maxEntries: 2 });
    for (const p of ['a', 'b']) await store.set({ ...key, principal: p }, tokens);
    await store.get({ ...key, principal: 'a' });
    await store.set({ ...key, principal: 'c' }, tokens);
    expect(await store.get({ ...key, principal: 'b' })).toBeUndefined();
    expect(await store.get({ ...key, principal: 'a' })).toEqual(tokens);
  });
});

describe('EncryptedFileTokenStore', () => {
  const hexKey = randomBytes(32).toString('hex');

  it('round-trips through the file, encrypted, mode 0600, a fresh IV per write', async () => {
    const path = tempFile();
    const store = await EncryptedFileTokenStore.open(path, hexKey);
    await store.set(key, tokens);
    const first = readFileSync(path, 'utf8');
    expect(first).not.toContain('SECRET');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await store.set(key, tokens);
    expect(JSON.parse(readFileSync(path, 'utf8')).iv).not.toBe(JSON.parse(first).iv);
    const again = await EncryptedFileTokenStore.open(path, Buffer.from(hexKey, 'hex').toString('base64'));
    expect(await again.get(key)).toEqual(tokens);
    await again.delete(key);
    expect(await (await EncryptedFileTokenStore.open(path, hexKey)).get(key)).toBeUndefined();
  });

  it('refuses a tampered file or a wrong key with a clear error, and does not overwrite it', async () => {
    const path = tempFile();
    await (await EncryptedFileTokenStore.open(path, hexKey)).set(key, tokens);
    const sealed = JSON.parse(readFileSync(path, 'utf8'));
    const data = Buffer.from(sealed.data, 'base64');
    data[0] = (data[0] ?? 0) ^ 1;
    writeFileSync(path, JSON.stringify({ ...sealed, data: data.toString('base64') }));
    await expect(EncryptedFileTokenStore.open(path, hexKey)).rejects.toThrow(/does not decrypt/);
    const lazy = new EncryptedFileTokenStore(path, hexKey);
    await expect(lazy.set(key, tokens)).rejects.toThrow(/does not decrypt/);
    expect(JSON.parse(readFileSync(path, 'utf8')).data).toBe(data.toString('base64'));
    writeFileSync(path, 'garbage');
    await expect(EncryptedFileTokenStore.open(path, hexKey)).rejects.toMatchObject({ name: 'ConfigError' });
    await expect(EncryptedFileTokenStore.open(path, randomBytes(32).toString('base64'))).rejects.toThrow(/does not decrypt/);
  });

  it('a key that is not 32 bytes is a ConfigError', () => {
    expect(() => parseStoreKey(randomBytes(16).toString('hex'))).toThrow(/32 bytes/);
    expect(() => parseStoreKey('not a key!')).toThrow(/32 bytes/);
    expect(parseStoreKey(randomBytes(32).toString('base64url')).length).toBe(32);
  });
});

describe('SubjectTokens', () => {
  it('keeps the latest token per principal until its exp, bounded', () => {
    let now = 1000;
    const subjects = new SubjectTokens({ maxEntries: 2, now: () => now });
    subjects.note(principal('a'), 't1', 2000);
    subjects.note(principal('a'), 't2', 2000);
    expect(subjects.latest(principal('a'))).toBe('t2');
    expect(subjects.latest(undefined)).toBeUndefined();
    subjects.note(principal('b'), 'tb');
    subjects.note(principal('c'), 'tc');
    expect(subjects.latest(principal('a'))).toBeUndefined();
    now = 3000;
    expect(subjects.latest(principal('c'))).toBe('tc');
  });
});
