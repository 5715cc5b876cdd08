import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { ConfigError } from '@mcproxy/core';
import { BoundedMap } from '../bounded-map.js';
import { type StoredTokens, type TokenKey, type TokenStore, tokenKeyString } from './token-store.js';

/**
 * A 32-byte key from config or the environment, written as 64 hex digits or
 * as base64 (standard or url-safe). Anything else is a ConfigError: a short
 * key is never stretched or padded.
 */
export function parseStoreKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, 'hex')
    : /^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)
      ? Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
      : Buffer.alloc(0);
  if (key.length !== 32) throw new ConfigError(`the token store key must be 32 bytes, given as 64 hex digits or base64 (got ${key.length} bytes)`);
  return key;
}

interface Sealed {
  v: 1;
  iv: string;
  tag: string;
  data: string;
}

/**
 * Tokens in one file, encrypted at rest with AES-256-GCM: a fresh 12-byte IV
 * for every write, the auth tag checked on every read. The file is written
 * atomically (a temporary file with mode 0600, then a rename), so a crash
 * leaves the old file or the new one, never half of either. A file that does
 * not decrypt (wrong key, tampered, truncated) is refused with a ConfigError
 * naming the file, and is never overwritten by a store that could not read it.
 *
 * @example
 * const store = await EncryptedFileTokenStore.open('./tokens.json', process.env.MCPROXY_TOKEN_KEY ?? '');
 */
export class EncryptedFileTokenStore implements TokenStore {
  private readonly key: Buffer;
  private entries: BoundedMap<string, StoredTokens> | undefined;
  private loading: Promise<BoundedMap<string, StoredTokens>> | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    key: string,
    private readonly maxEntries = 10_000,
  ) {
    this.key = parseStoreKey(key);
  }

  /** A store whose file has been read (or found absent) already: a bad file fails here, at startup. */
  static async open(path: string, key: string, maxEntries?: number): Promise<EncryptedFileTokenStore> {
    const store = new EncryptedFileTokenStore(path, key, maxEntries);
    await store.load();
    return store;
  }

  async get(key: TokenKey): Promise<StoredTokens | undefined> {
    return (await this.load()).get(tokenKeyString(key));
  }

  async set(key: TokenKey, tokens: StoredTokens): Promise<void> {
    (await this.load()).set(tokenKeyString(key), tokens);
    await this.save();
  }

  async delete(key: TokenKey): Promise<void> {
    (await this.load()).delete(tokenKeyString(key));
    await this.save();
  }

  private load(): Promise<BoundedMap<string, StoredTokens>> {
    if (this.entries) return Promise.resolve(this.entries);
    this.loading ??= this.read().then(
      (entries) => {
        this.entries = entries;
        return entries;
      },
      (err: unknown) => {
        this.loading = undefined;
        throw err;
      },
    );
    return this.loading;
  }

  private async read(): Promise<BoundedMap<string, StoredTokens>> {
    const entries = new BoundedMap<string, StoredTokens>(this.maxEntries);
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return entries;
      throw new ConfigError(`token store ${this.path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    let plain: unknown;
    try {
      const sealed = JSON.parse(text) as Sealed;
      if (sealed.v !== 1) throw new Error('version');
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(sealed.iv, 'base64'));
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
      const data = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]);
      plain = JSON.parse(data.toString('utf8'));
    } catch {
      throw new ConfigError(
        `token store ${this.path}: the file does not decrypt with this key (wrong key, or the file was altered); move it away or give the right key`,
      );
    }
    if (!Array.isArray(plain)) throw new ConfigError(`token store ${this.path}: the decrypted content is not a token list`);
    for (const entry of plain) {
      if (Array.isArray(entry) && typeof entry[0] === 'string' && typeof entry[1]?.accessToken === 'string') entries.set(entry[0], entry[1]);
    }
    return entries;
  }

  /** Writes one after another, each a whole new file: the last write wins and none interleave. */
  private save(): Promise<void> {
    const next = this.writing.then(() => this.write());
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async write(): Promise<void> {
    const entries = this.entries;
    if (entries === undefined) return;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(JSON.stringify([...entries.entries()]), 'utf8'), cipher.final()]);
    const sealed: Sealed = { v: 1, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
    const tmp = `${this.path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify(sealed), { mode: 0o600, flag: 'wx' });
      await rename(tmp, this.path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
}
