import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initialize, post, startIssuer, Teardown, unsignedToken, type TestIssuer } from '@mcproxy/testing';
import { silentLogger, type Logger } from '@mcproxy/core';
import { guardedProxy } from '../test/setup.js';

const t = new Teardown();
let issuer: TestIssuer;
const AUDIENCE = 'https://mcp.example/mcp';

beforeEach(async () => {
  issuer = await startIssuer();
  t.add(() => issuer.close());
});
afterEach(() => t.run());

const jwtAuth = (extra: Record<string, unknown> = {}) => ({
  jwt: { jwksUrl: issuer.jwksUrl, issuer: issuer.issuer, audience: AUDIENCE, scopes: ['mcp:tools'], ...extra },
});
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const good = () => issuer.sign({ aud: AUDIENCE, scope: 'mcp:tools other' });

describe('JWT bearer tokens over real HTTP', () => {
  it('lets a valid token in, with its subject, scopes and claims as the principal', async () => {
    const { http, seen } = await guardedProxy(t, jwtAuth());
    const res = await post(http.url, initialize(), bearer(await good()));
    expect(res.status).toBe(200);
    expect(res.headers['mcp-session-id']).toBeTypeOf('string');
    expect(seen[0]?.principal).toMatchObject({ id: 'alice', kind: 'jwt', scopes: ['mcp:tools', 'other'], claims: { sub: 'alice', iss: issuer.issuer } });
  });

  it('answers a missing token 401 with resource_metadata and scope, as RFC 9728 §5.1 and the MCP spec ask', async () => {
    const { http, failures, seen } = await guardedProxy(t, jwtAuth());
    const res = await post(http.url, initialize());
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="mcproxy", resource_metadata="https://mcp.example/.well-known/oauth-protected-resource/mcp", scope="mcp:tools"',
    );
    expect(res.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32000 } });
    expect(failures).toEqual(['missing']);
    expect(seen).toEqual([]);
  });

  const refused: Array<[string, () => Promise<string>, string]> = [
    ['an expired token', () => issuer.sign({ aud: AUDIENCE, scope: 'mcp:tools', exp: Math.floor(Date.now() / 1000) - 120 }), 'expired'],
    ['a token of another issuer', () => issuer.sign({ aud: AUDIENCE, scope: 'mcp:tools', iss: 'https://evil.example/' }), 'wrong-issuer'],
    ['a token for another resource', () => issuer.sign({ aud: 'https://other.example/mcp', scope: 'mcp:tools' }), 'wrong-audience'],
    ['a token not valid yet', () => issuer.sign({ aud: AUDIENCE, scope: 'mcp:tools', nbf: Math.floor(Date.now() / 1000) + 600 }), 'invalid'],
    ['a token without exp', () => issuer.sign({ aud: AUDIENCE, scope: 'mcp:tools', exp: undefined }), 'invalid'],
    [
      'a token signed by an unpublished key',
      async () => issuer.sign({ aud: AUDIENCE, scope: 'mcp:tools' }, { key: await issuer.addKey(false) }),
      'unknown-key',
    ],
    ['an alg:none token', async () => unsignedToken({ iss: issuer.issuer, aud: AUDIENCE, sub: 'alice', scope: 'mcp:tools', exp: 2e9 }), 'invalid'],
    [
      'a tampered token (claims changed after signing)',
      async () => {
        const [h, , s] = (await good()).split('.');
        const forged = Buffer.from(JSON.stringify({ iss: issuer.issuer, aud: AUDIENCE, sub: 'root', scope: 'mcp:tools', exp: 2e9 })).toString('base64url');
        return `${h}.${forged}.${s}`;
      },
      'bad-signature',
    ],
    [
      'a token signed with HMAC keyed by the public key (algorithm confusion)',
      async () => {
        const { SignJWT } = await import('jose');
        const secret = new TextEncoder().encode(JSON.stringify(issuer.key.jwk));
        return new SignJWT({ iss: issuer.issuer, aud: AUDIENCE, sub: 'alice', scope: 'mcp:tools', exp: 2e9 })
          .setProtectedHeader({ alg: 'HS256', kid: issuer.key.kid })
          .sign(secret);
      },
      'invalid',
    ],
    ['garbage', async () => 'not.a.jwt', 'invalid'],
  ];
  for (const [what, make, reason] of refused) {
    it(`refuses ${what}: 401 invalid_token, reason ${reason}`, async () => {
      const { http, failures, seen } = await guardedProxy(t, jwtAuth());
      const res = await post(http.url, initialize(), bearer(await make()));
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="mcproxy", error="invalid_token", error_description="[^"]+", resource_metadata="/);
      expect(failures).toEqual([reason]);
      expect(seen).toEqual([]);
    });
  }

  it('answers a token without the required scope 403 insufficient_scope, naming the scope', async () => {
    const { http, failures } = await guardedProxy(t, jwtAuth());
    const res = await post(http.url, initialize(), bearer(await issuer.sign({ aud: AUDIENCE, scope: 'other' })));
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toContain('error="insufficient_scope"');
    expect(res.headers['www-authenticate']).toContain('scope="mcp:tools"');
    expect(failures).toEqual(['insufficient-scope']);
  });

  it('reads scopes from scp as a list too', async () => {
    const { http } = await guardedProxy(t, jwtAuth());
    const res = await post(http.url, initialize(), bearer(await issuer.sign({ aud: AUDIENCE, scp: ['mcp:tools'] })));
    expect(res.status).toBe(200);
  });

  it('keeps the key set, and fetches it again for an unknown kid (a rotation), at most once per cooldown', async () => {
    const { http } = await guardedProxy(t, jwtAuth({ jwksCooldownMs: 60_000 }));
    for (let i = 0; i < 3; i++) expect((await post(http.url, initialize(), bearer(await good()))).status).toBe(200);
    expect(issuer.fetches).toBe(1);
    const rotated = await issuer.addKey(false);
    // Within the cooldown an unknown kid does not reach the issuer: a flood of made-up kids costs nothing.
    for (let i = 0; i < 3; i++) {
      const res = await post(http.url, initialize(), bearer(await issuer.sign({ aud: AUDIENCE, scope: 'mcp:tools' }, { key: rotated })));
      expect(res.status).toBe(401);
    }
    expect(issuer.fetches).toBe(1);
  });

  it('fetches the key set again on an unknown kid once the cooldown is over, and accepts the rotated key', async () => {
    const { http } = await guardedProxy(t, jwtAuth({ jwksCooldownMs: 0 }));
    expect((await post(http.url, initialize(), bearer(await good()))).status).toBe(200);
    const rotated = await issuer.addKey(false);
    issuer.publish(rotated);
    const res = await post(http.url, initialize(), bearer(await issuer.sign({ aud: AUDIENCE, scope: 'mcp:tools' }, { key: rotated })));
    expect(res.status).toBe(200);
    expect(issuer.fetches).toBe(2);
  });

  it('answers 503 with Retry-After when the key set cannot be had (too large), never letting the token in', async () => {
    issuer.serveRaw(JSON.stringify({ keys: [], pad: 'x'.repeat(300 * 1024) }));
    const { http, failures } = await guardedProxy(t, jwtAuth());
    const res = await post(http.url, initialize(), bearer(await good()));
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(failures).toEqual(['unavailable']);
  });

  it('lets an API key in beside JWTs, and refuses a wrong one', async () => {
    const key = 'k'.repeat(32);
    const { http, seen } = await guardedProxy(t, { ...jwtAuth(), apiKeys: [{ id: 'ci', sha256: createHash('sha256').update(key).digest('hex') }] });
    expect((await post(http.url, initialize(), bearer(key))).status).toBe(200);
    expect(seen[0]?.principal).toMatchObject({ id: 'ci', kind: 'api-key' });
    expect((await post(http.url, initialize(), bearer('x'.repeat(32)))).status).toBe(401);
  });
});

describe('onAuthenticated', () => {
  it('hands each verified JWT to the hook with its principal, never an API key or a refused token, and a throwing hook refuses nothing', async () => {
    const { createAuthenticator } = await import('../src/index.js');
    const key = 'k'.repeat(32);
    const heard: Array<[string, string]> = [];
    const lines: string[] = [];
    const log = { ...silentLogger, warn: (...args: unknown[]) => lines.push(JSON.stringify(args)) } as unknown as Logger;
    const auth = createAuthenticator(
      { ...jwtAuth(), apiKeys: [{ id: 'ci', sha256: createHash('sha256').update(key).digest('hex') }] },
      {
        log,
        onAuthenticated: (principal, token) => {
          heard.push([principal.id, token]);
          if (principal.id === 'bob') throw new Error('store full');
        },
      },
    );
    const token = await good();
    expect((await auth.authenticate(bearer(token))).ok).toBe(true);
    expect(heard).toEqual([['alice', token]]);
    expect((await auth.authenticate(bearer(key))).ok).toBe(true);
    expect((await auth.authenticate(bearer(await issuer.sign({ aud: 'https://other.example/' })))).ok).toBe(false);
    expect(heard).toHaveLength(1);
    const bobs = await issuer.sign({ aud: AUDIENCE, sub: 'bob', scope: 'mcp:tools' });
    expect(await auth.authenticate(bearer(bobs))).toMatchObject({ ok: true, principal: { id: 'bob' } });
    expect(lines.join('\n')).toContain('onAuthenticated hook failed');
    expect(lines.join('\n')).not.toContain(bobs);
  });
});

describe('a verdict at hand', () => {
  it('comes back as it is for an API key and a token verified before; a token to check, and its refusal, as a promise', async () => {
    const { createAuthenticator } = await import('../src/index.js');
    const key = 'k'.repeat(32);
    const heard: string[] = [];
    const auth = createAuthenticator(
      { ...jwtAuth(), apiKeys: [{ id: 'ci', sha256: createHash('sha256').update(key).digest('hex') }] },
      { onAuthenticated: (principal) => heard.push(principal.id) },
    );
    expect(auth.authenticate(bearer(key))).toEqual({ ok: true, principal: expect.objectContaining({ id: 'ci', kind: 'api-key' }) });
    expect(auth.authenticate({})).toMatchObject({ ok: false, status: 401, reason: 'missing' });
    const token = await good();
    const first = auth.authenticate(bearer(token));
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toMatchObject({ ok: true, principal: { id: 'alice' } });
    // Remembered: judged at once, the scopes still required and the hook still told.
    expect(auth.authenticate(bearer(token))).toMatchObject({ ok: true, principal: { id: 'alice' } });
    expect(heard).toEqual(['alice', 'alice']);
    const narrow = await issuer.sign({ aud: AUDIENCE, scope: 'other' });
    expect(await auth.authenticate(bearer(narrow))).toMatchObject({ ok: false, status: 403, reason: 'insufficient-scope' });
    // Remembered as verified, still refused for its scopes, now at once.
    expect(auth.authenticate(bearer(narrow))).toMatchObject({ ok: false, status: 403, reason: 'insufficient-scope' });
    const wrong = auth.authenticate(bearer(await issuer.sign({ aud: 'https://other.example/' })));
    expect(wrong).toBeInstanceOf(Promise);
    expect(await wrong).toMatchObject({ ok: false, status: 401, reason: 'wrong-audience' });
  });
});

describe('JwtVerifier keeps what it verified, briefly', () => {
  it('trusts a verified token again without checking it, until verifiedCacheMs or its exp, whichever comes first', async () => {
    const { JwtVerifier, jwtSchema } = await import('../src/index.js');
    let now = Date.now();
    // A key set kept 1 ms: every signature check jose makes fetches it, so fetches count checks.
    const options = jwtSchema.parse({
      jwksUrl: issuer.jwksUrl,
      issuer: issuer.issuer,
      audience: AUDIENCE,
      jwksCacheMs: 1,
      jwksCooldownMs: 0,
      clockToleranceSec: 0,
    });
    const verifier = new JwtVerifier(options, () => now);
    const exp = Math.floor(now / 1000) + 30;
    const token = await issuer.sign({ aud: AUDIENCE, exp });
    expect((await verifier.verify(token)).ok).toBe(true);
    const checked = issuer.fetches;
    await new Promise((r) => setTimeout(r, 5));
    expect(await verifier.verify(token)).toMatchObject({ ok: true, principal: { id: 'alice' } });
    expect(issuer.fetches).toBe(checked);
    // Another token is checked in full.
    await new Promise((r) => setTimeout(r, 5));
    expect((await verifier.verify(await issuer.sign({ aud: AUDIENCE, sub: 'bob' }))).ok).toBe(true);
    expect(issuer.fetches).toBe(checked + 1);
    // Past its exp the remembered verdict is gone: the token is checked again.
    now = exp * 1000 + 1;
    await new Promise((r) => setTimeout(r, 5));
    await verifier.verify(token);
    expect(issuer.fetches).toBe(checked + 2);
  });

  it('never remembers a token that failed', async () => {
    const { JwtVerifier, jwtSchema } = await import('../src/index.js');
    const verifier = new JwtVerifier(jwtSchema.parse({ jwksUrl: issuer.jwksUrl, issuer: issuer.issuer, audience: AUDIENCE }));
    const wrong = await issuer.sign({ aud: 'https://other.example/' });
    expect(await verifier.verify(wrong)).toMatchObject({ ok: false, failure: 'wrong-audience' });
    expect(await verifier.verify(wrong)).toMatchObject({ ok: false, failure: 'wrong-audience' });
  });
});
