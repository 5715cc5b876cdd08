import { generateKeyPairSync } from 'node:crypto';
import { startAuthServer, startProtectedUpstream, Teardown, until } from '@mcproxy/testing';
import { exportJWK } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthorizationFlows } from '../src/flows/authorization-flows.js';
import { MemoryTokenStore } from '../src/store/memory-store.js';
import type { CredentialEvent, UpstreamAuthConfig } from '../src/types.js';
import { upstreamCredentials } from '../src/credentials.js';
import { call, principal, whoami } from './helpers.js';

const teardown = new Teardown();
afterEach(() => teardown.run());

async function setup(config: UpstreamAuthConfig, lifetime = 300) {
  const as = await startAuthServer({ tokenLifetimeSeconds: lifetime, clients: [{ clientId: 'svc', clientSecret: 's3cret:/+' }] });
  teardown.add(() => as.close());
  const up = await startProtectedUpstream({ authServer: as, requiredScopes: ['mcp'] });
  teardown.add(() => up.close());
  const events: CredentialEvent[] = [];
  const env = {
    store: new MemoryTokenStore(),
    flows: new AuthorizationFlows({ publicUrl: 'http://127.0.0.1:1' }),
    onEvent: (e: CredentialEvent) => void events.push(e),
  };
  const withIssuer =
    'clientCredentials' in config && config.clientCredentials.issuer === 'AS'
      ? { ...config, clientCredentials: { ...config.clientCredentials, issuer: as.issuer } }
      : config;
  return { as, up, events, env, credentials: upstreamCredentials('internal', up.url, withIssuer, env) };
}

describe('client_credentials', () => {
  it('discovers on the first 401, gets one token, and the call succeeds as the client', async () => {
    const { as, up, credentials, events } = await setup({ clientCredentials: { clientId: 'svc', clientSecret: 's3cret:/+', scopes: ['mcp'] } });
    expect(credentials.mode).toBe('clientCredentials');
    const answer = await call(credentials, up.url, principal('alice'));
    expect(answer).toMatchObject({ status: 200, sub: 'svc', scope: 'mcp' });
    expect(as.tokenRequests.client_credentials).toBe(1);
    expect(events).toEqual([{ upstream: 'internal', grant: 'client_credentials', outcome: 'ok' }]);
    expect(up.seen[0]).toBe('');
  });

  it('20 concurrent first calls make one token request', async () => {
    const { as, up, credentials } = await setup({ clientCredentials: { clientId: 'svc', clientSecret: 's3cret:/+', scopes: ['mcp'] } });
    const answers = await Promise.all(Array.from({ length: 20 }, () => call(credentials, up.url, undefined)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(as.tokenRequests.client_credentials).toBe(1);
  });

  it('asks up front when the issuer is configured, and renews before expiry', async () => {
    const { as, up, credentials } = await setup({ clientCredentials: { clientId: 'svc', clientSecret: 's3cret:/+', scopes: ['mcp'], issuer: 'AS' } }, 2);
    const first = await credentials.authorization(undefined);
    expect(first).toMatch(/^Bearer /);
    expect(as.tokenRequests.client_credentials).toBe(1);
    expect(await credentials.authorization(undefined)).toBe(first);
    // Past 80 % of its 2 s lifetime: still answered with the current token, renewed in the background.
    await new Promise((r) => setTimeout(r, 1700));
    await until(async () => (await credentials.authorization(undefined)) !== first, 'a renewed token');
    expect(as.tokenRequests.client_credentials).toBe(2);
    expect((await whoami(up.url, await credentials.authorization(undefined))).status).toBe(200);
  });

  it('authenticates with client_secret_post', async () => {
    const { up, credentials } = await setup({
      clientCredentials: { clientId: 'svc', clientSecret: 's3cret:/+', scopes: ['mcp'], tokenEndpointAuthMethod: 'client_secret_post' },
    });
    expect(await call(credentials, up.url, undefined)).toMatchObject({ status: 200, sub: 'svc' });
  });

  it('authenticates with private_key_jwt (aud = the issuer)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const { as, up, env } = await setup({ clientCredentials: { clientId: 'x', clientSecret: 'y' } });
    as.addClient({ clientId: 'signer', publicKey: { ...(await exportJWK(publicKey)), alg: 'RS256' } });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const credentials = upstreamCredentials('internal', up.url, { clientCredentials: { clientId: 'signer', privateKey: pem, scopes: ['mcp'] } }, env);
    expect(await call(credentials, up.url, undefined)).toMatchObject({ status: 200, sub: 'signer' });
  });

  it('a wrong secret is a CredentialsError naming the upstream and the refusal, never the secret', async () => {
    const { as, up, credentials, events } = await setup({ clientCredentials: { clientId: 'svc', clientSecret: 'wrong-secret-value', scopes: ['mcp'] } });
    const sent = await credentials.authorization(undefined);
    const first = await whoami(up.url, sent);
    const err = await credentials.refused(undefined, { status: 401, challenge: first.challenge, sent }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'GrantRefusedError', rpcError: { code: -32011, data: { reason: 'credentials', upstream: 'internal' } } });
    expect((err as Error).message).toContain('invalid_client');
    expect((err as Error).message).not.toContain('wrong-secret-value');
    expect(as.tokenRequests.client_credentials).toBe(1);
    expect(events.at(-1)).toEqual({ upstream: 'internal', grant: 'client_credentials', outcome: 'error' });
  });

  it('a bad config is a ConfigError at construction', async () => {
    const { env, up } = await setup({ clientCredentials: { clientId: 'svc', clientSecret: 's' } });
    expect(() => upstreamCredentials('u', up.url, { clientCredentials: { clientId: 'svc' } }, env)).toThrow(/ConfigError|clientSecret or a privateKey/);
    expect(() => upstreamCredentials('u', up.url, { oauth: { scopes: ['a b'] } }, env)).toThrow(/scope/);
  });
});
