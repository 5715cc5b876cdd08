import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { initialize, post, raw, Teardown } from '@mcproxy/testing';
import { guardedProxy } from '../test/setup.js';
import { ApiKeys, createAuthenticator } from '../src/index.js';

const t = new Teardown();
afterEach(() => t.run());

const CI_KEY = 'ci-key-0123456789abcdef';
const ALICE_KEY = 'alice-key-0123456789abcdef';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const keys = {
  apiKeys: [
    { id: 'ci', sha256: sha(CI_KEY) },
    { id: 'alice', key: ALICE_KEY, scopes: ['mcp:admin'] },
  ],
};

describe('API keys over real HTTP', () => {
  it('lets in a key sent as Bearer or as X-API-Key, whichever way it was configured', async () => {
    const { http, seen } = await guardedProxy(t, keys);
    expect((await post(http.url, initialize(), { authorization: `Bearer ${CI_KEY}` })).status).toBe(200);
    expect((await post(http.url, initialize(), { 'x-api-key': ALICE_KEY })).status).toBe(200);
    expect((await post(http.url, initialize(), { authorization: `bearer ${ALICE_KEY}` })).status).toBe(200);
    expect(seen.map((s) => s.principal)).toEqual([
      { id: 'ci', kind: 'api-key', scopes: [], claims: {} },
      { id: 'alice', kind: 'api-key', scopes: ['mcp:admin'], claims: {} },
      { id: 'alice', kind: 'api-key', scopes: ['mcp:admin'], claims: {} },
    ]);
  });

  const wrong: Array<[string, Record<string, string>, string]> = [
    ['no credential', {}, 'missing'],
    ['a wrong key as Bearer', { authorization: `Bearer ${CI_KEY}x` }, 'bad-key'],
    ['a wrong key as X-API-Key', { 'x-api-key': CI_KEY.slice(0, -1) }, 'bad-key'],
    ['the key under another scheme', { authorization: `Basic ${CI_KEY}` }, 'missing'],
    ['the SHA-256 of the key instead of the key', { 'x-api-key': sha(CI_KEY) }, 'bad-key'],
    ['an empty bearer', { authorization: 'Bearer ' }, 'missing'],
  ];
  for (const [what, headers, reason] of wrong) {
    it(`refuses ${what} with 401 and WWW-Authenticate`, async () => {
      const { http, seen, failures } = await guardedProxy(t, keys);
      const res = await post(http.url, initialize(), headers);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="mcproxy"/);
      expect(failures).toEqual([reason]);
      expect(seen).toEqual([]);
    });
  }

  it('refuses every method and path alike, and reads a refused body first so the client sees the answer', async () => {
    const { http } = await guardedProxy(t, keys);
    for (const method of ['GET', 'DELETE', 'PUT']) expect((await raw(http.url, { method })).status).toBe(401);
    expect((await raw(http.url, { method: 'GET', path: '/elsewhere' })).status).toBe(401);
    const big = await raw(http.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(512 * 1024) });
    expect(big.status).toBe(401);
  });

  it('serves no metadata document without jwt', async () => {
    const { http } = await guardedProxy(t, keys);
    expect((await raw(http.url, { method: 'GET', path: '/.well-known/oauth-protected-resource' })).status).toBe(401);
  });
});

describe('ApiKeys', () => {
  it('matches only the exact key, whatever its length', () => {
    const set = new ApiKeys([{ id: 'ci', key: CI_KEY, scopes: [] }]);
    expect(set.match(CI_KEY)?.id).toBe('ci');
    for (const guess of ['', 'c', CI_KEY.toUpperCase(), `${CI_KEY} `, CI_KEY.repeat(100)]) expect(set.match(guess)).toBeUndefined();
  });

  it('refuses options that cannot work, naming them', () => {
    expect(() => createAuthenticator({ apiKeys: [{ id: 'ci', key: 'short' }] })).toThrow(/at least 16 characters/);
    expect(() => createAuthenticator({ apiKeys: [{ id: 'ci', key: CI_KEY, sha256: sha(CI_KEY) }] })).toThrow(/exactly one of "sha256" or "key"/);
    expect(() => createAuthenticator({ apiKeys: [{ id: 'ci', sha256: 'abc' }] })).toThrow(/64 hex digits/);
    expect(() =>
      createAuthenticator({
        apiKeys: [
          { id: 'a', key: CI_KEY },
          { id: 'a', key: ALICE_KEY },
        ],
      }),
    ).toThrow(/same id/);
    expect(() => createAuthenticator({})).toThrow(/give apiKeys, jwt, or allowUnauthenticated/);
    expect(() => createAuthenticator({ allowUnauthenticated: true, apiKeys: [{ id: 'a', key: CI_KEY }] })).toThrow(/cannot be combined/);
  });

  it('lets everyone in, with no principal, when allowUnauthenticated says so', async () => {
    const auth = createAuthenticator({ allowUnauthenticated: true });
    expect(await auth.authenticate({})).toEqual({ ok: true, principal: undefined });
  });
});
