import { type AuthServerOptions, startAuthServer, startProtectedUpstream, Teardown } from '@mcproxy/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { upstreamCredentials } from '../src/credentials.js';
import { ConsentRequiredError } from '../src/errors.js';
import { AuthorizationFlows } from '../src/flows/authorization-flows.js';
import { MemoryTokenStore } from '../src/store/memory-store.js';
import type { UpstreamAuthConfig } from '../src/types.js';
import { call, consentInBrowser, principal, whoami } from './helpers.js';

const teardown = new Teardown();
afterEach(() => teardown.run());
const alice = principal('alice');
const withParam = (q: URLSearchParams, name: string, value: string): URLSearchParams => {
  q.set(name, value);
  return q;
};
const bob = principal('bob');

async function setup(
  options: AuthServerOptions = {},
  config: UpstreamAuthConfig = { oauth: {} },
  upstream: { requiredScopes?: string[]; scopesSupported?: string[] } = {},
) {
  const as = await startAuthServer(options);
  teardown.add(() => as.close());
  const up = await startProtectedUpstream({ authServer: as, ...upstream });
  teardown.add(() => up.close());
  const store = new MemoryTokenStore();
  const flows = new AuthorizationFlows({ publicUrl: 'http://127.0.0.1:9999' });
  const credentials = upstreamCredentials('github', up.url, config, { store, flows });
  return { as, up, store, flows, credentials };
}

/** Calls as `who` until consent is asked, returning the error. */
async function consentAsked(credentials: ReturnType<typeof upstreamCredentials>, url: string, who = alice): Promise<ConsentRequiredError> {
  const err = await call(credentials, url, who).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ConsentRequiredError);
  return err as ConsentRequiredError;
}

describe('per-user OAuth', () => {
  it('asks consent with a URL, the user signs in, the retry succeeds; another principal still has no token', async () => {
    const { as, up, flows, credentials } = await setup({ scopesSupported: ['mcp:read', 'offline_access'] }, { oauth: {} }, { scopesSupported: ['mcp:read'] });
    const asked = await consentAsked(credentials, up.url);
    expect(asked.url).toBe(`http://127.0.0.1:9999/oauth/start?flow=${asked.elicitationId}`);
    expect(asked.rpcError).toMatchObject({ code: -32042, data: { elicitations: [{ mode: 'url', url: asked.url, elicitationId: asked.elicitationId }] } });
    // The same principal asking again gets the same pending flow.
    expect((await consentAsked(credentials, up.url)).elicitationId).toBe(asked.elicitationId);
    const waiting = flows.waitFor(asked.elicitationId, 5000);
    as.user = 'alice';
    const done = await consentInBrowser(flows, asked.url);
    expect(done.status).toBe(200);
    expect(await waiting).toBe(true);
    const authorize = as.authorizeRequests[0];
    expect(authorize?.get('scope')).toBe('mcp:read offline_access');
    expect(authorize?.get('resource')).toBe(up.url);
    expect(authorize?.get('code_challenge_method')).toBe('S256');
    expect(as.registrations).toBe(1);
    expect(await call(credentials, up.url, alice)).toMatchObject({ status: 200, sub: 'alice' });
    await consentAsked(credentials, up.url, bob);
    expect(done.body).not.toMatch(/code=|Bearer|eyJ/);
  });

  it('refreshes an expired token once (single-flight); a revoked refresh token asks consent again', async () => {
    const { as, up, flows, credentials } = await setup({ tokenLifetimeSeconds: 31 });
    const asked = await consentAsked(credentials, up.url);
    expect((await consentInBrowser(flows, asked.url)).status).toBe(200);
    // 31 s tokens are "stale" 30 s before expiry: every call after the first second refreshes.
    await new Promise((r) => setTimeout(r, 1100));
    const answers = await Promise.all(Array.from({ length: 5 }, () => call(credentials, up.url, alice)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(as.tokenRequests.refresh_token).toBe(1);
    as.revokeRefreshTokens();
    await new Promise((r) => setTimeout(r, 1100));
    const again = await consentAsked(credentials, up.url);
    expect(again.elicitationId).not.toBe(asked.elicitationId);
  });

  it('a 403 insufficient_scope opens a step-up flow asking granted + challenged scopes', async () => {
    const { as, up, flows, credentials } = await setup({}, { oauth: { scopes: ['read'] } }, { requiredScopes: [] });
    expect((await consentInBrowser(flows, (await consentAsked(credentials, up.url)).url)).status).toBe(200);
    expect(await call(credentials, up.url, alice)).toMatchObject({ status: 200 });
    up.requiredScopes = ['read', 'write'];
    const stepUp = await consentAsked(credentials, up.url);
    expect((await consentInBrowser(flows, stepUp.url)).status).toBe(200);
    expect(as.authorizeRequests.at(-1)?.get('scope')?.split(' ').sort()).toEqual(['read', 'write']);
    expect(await call(credentials, up.url, alice)).toMatchObject({ status: 200, scope: 'read write' });
  });

  it('uses a Client ID Metadata Document when the AS supports them (no registration)', async () => {
    const cimd = 'https://mcproxy.example/oauth/client.json';
    const { as, up, flows, credentials } = await setup({ clientIdMetadataDocuments: true }, { oauth: { clientMetadataUrl: cimd } });
    expect((await consentInBrowser(flows, (await consentAsked(credentials, up.url)).url)).status).toBe(200);
    expect(as.authorizeRequests[0]?.get('client_id')).toBe(cimd);
    expect(as.registrations).toBe(0);
    expect(await call(credentials, up.url, alice)).toMatchObject({ status: 200 });
  });

  it('refuses AS metadata whose issuer differs from where it was found', async () => {
    const { as, up, credentials } = await setup();
    as.metadataOverrides = { issuer: 'http://127.0.0.1:1' };
    await expect(call(credentials, up.url, alice)).rejects.toThrow(/names another issuer/);
  });

  it('refuses protected-resource metadata naming another resource', async () => {
    const { up, credentials } = await setup();
    up.resource = 'https://evil.example.com/mcp';
    await expect(call(credentials, up.url, alice)).rejects.toThrow(/names another resource/);
  });

  it('no principal is a CredentialsError', async () => {
    const { credentials } = await setup();
    await expect(credentials.authorization(undefined)).rejects.toThrow(/needs an authenticated principal/);
  });
});

describe('the callback refuses bad input, storing nothing', () => {
  async function signedOut(options: AuthServerOptions = {}) {
    const s = await setup(options);
    const asked = await consentAsked(s.credentials, s.up.url);
    return { ...s, asked };
  }
  const stillNoToken = async (s: Awaited<ReturnType<typeof signedOut>>) => {
    await expect(s.credentials.authorization(alice)).rejects.toBeInstanceOf(ConsentRequiredError);
    expect(s.as.tokenRequests.authorization_code).toBe(0);
  };

  it('a forged state', async () => {
    const s = await signedOut();
    const r = await consentInBrowser(s.flows, s.asked.url, (q, cookie) => ({ query: withParam(q, 'state', 'forged'), cookie }));
    expect(r.status).toBe(400);
    await stillNoToken(s);
  });

  it('a replayed state', async () => {
    const s = await signedOut();
    const first = await consentInBrowser(s.flows, s.asked.url);
    expect(first.status).toBe(200);
    const replay = await s.flows.callback(first.callback, first.cookie);
    expect(replay.status).toBe(400);
    expect(s.as.tokenRequests.authorization_code).toBe(1);
  });

  it('a wrong or missing cookie', async () => {
    const s = await signedOut();
    const wrong = await consentInBrowser(s.flows, s.asked.url, (q, cookie) => ({ query: q, cookie: `${cookie.split('=')[0]}=nope` }));
    expect(wrong.status).toBe(400);
    const none = await consentInBrowser(s.flows, s.asked.url, (q) => ({ query: q, cookie: undefined }));
    expect(none.status).toBe(400);
    await stillNoToken(s);
  });

  it('a code meant for another principal fails at the AS (PKCE) with 400', async () => {
    const s = await signedOut();
    const bobAsked = await consentAsked(s.credentials, s.up.url, bob);
    // Bob's browser gets a code for Bob's flow; it is brought back with Alice's state and cookie.
    const bobStart = await s.flows.start(new URL(bobAsked.url).searchParams, undefined);
    const bobCode =
      new URL((await fetch(bobStart.headers.Location ?? '', { redirect: 'manual' })).headers.get('location') ?? '').searchParams.get('code') ?? '';
    const r = await consentInBrowser(s.flows, s.asked.url, (q, cookie) => ({ query: withParam(q, 'code', bobCode), cookie }));
    expect(r.status).toBe(400);
    expect(r.body).toContain('invalid_grant');
    await expect(s.credentials.authorization(alice)).rejects.toBeInstanceOf(ConsentRequiredError);
  });

  it('a wrong iss, or none when the AS promises one (RFC 9207)', async () => {
    const s = await signedOut({ issParameter: true });
    s.as.redirectIss = 'http://evil.example';
    expect((await consentInBrowser(s.flows, s.asked.url)).status).toBe(400);
    s.as.redirectIss = null;
    expect((await consentInBrowser(s.flows, s.asked.url)).status).toBe(400);
    await stillNoToken(s);
    s.as.redirectIss = undefined;
    expect((await consentInBrowser(s.flows, s.asked.url)).status).toBe(200);
  });

  it('escapes what the query carries', async () => {
    const s = await signedOut();
    const r = await consentInBrowser(s.flows, s.asked.url, (q, cookie) => ({ query: withParam(q, 'error', '<script>alert(1)</script>'), cookie }));
    expect(r.status).toBe(400);
    expect(r.body).not.toContain('<script>');
    expect(r.body).toContain('&lt;script&gt;');
  });
});

it('the upstream saw no token before consent and only its own tokens after', async () => {
  const { up, flows, credentials } = await setup();
  expect((await consentInBrowser(flows, (await consentAsked(credentials, up.url)).url)).status).toBe(200);
  expect((await whoami(up.url, await credentials.authorization(alice))).status).toBe(200);
  expect(up.seen[0]).toBe('');
  expect(up.seen.slice(1).every((h) => h.startsWith('Bearer '))).toBe(true);
});
