import { startAuthServer, startIssuer, startProtectedUpstream, Teardown } from '@mcproxy/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { upstreamCredentials } from '../src/credentials.js';
import { CredentialsError } from '../src/errors.js';
import { AuthorizationFlows } from '../src/flows/authorization-flows.js';
import { MemoryTokenStore } from '../src/store/memory-store.js';
import { SubjectTokens } from '../src/subject-tokens.js';
import { call, principal, QUICK } from './helpers.js';

const teardown = new Teardown();
afterEach(() => teardown.run());

async function setup() {
  const inbound = await startIssuer();
  teardown.add(() => inbound.close());
  const as = await startAuthServer({
    clients: [{ clientId: 'mcproxy', clientSecret: 'xchg' }],
    subjectIssuer: { issuer: inbound.issuer, jwksUrl: inbound.jwksUrl },
  });
  teardown.add(() => as.close());
  const up = await startProtectedUpstream({ authServer: as });
  teardown.add(() => up.close());
  const subjectTokens = new SubjectTokens();
  const env = { store: new MemoryTokenStore(), flows: new AuthorizationFlows({ publicUrl: 'http://127.0.0.1:1' }), subjectTokens, limits: QUICK };
  const credentials = upstreamCredentials('team-api', up.url, { tokenExchange: { clientId: 'mcproxy', clientSecret: 'xchg' } }, env);
  return { inbound, as, up, subjectTokens, credentials };
}

describe('token exchange', () => {
  it("A's calls carry a token whose sub is A's, B's B's; the inbound token never reaches the upstream", async () => {
    const { inbound, as, up, subjectTokens, credentials } = await setup();
    const aliceJwt = await inbound.sign({ sub: 'alice' });
    const bobJwt = await inbound.sign({ sub: 'bob' });
    subjectTokens.note(principal('alice'), aliceJwt);
    subjectTokens.note(principal('bob'), bobJwt);
    expect(await call(credentials, up.url, principal('alice'))).toMatchObject({ status: 200, sub: 'alice' });
    expect(await call(credentials, up.url, principal('bob'))).toMatchObject({ status: 200, sub: 'bob' });
    expect(await call(credentials, up.url, principal('alice'))).toMatchObject({ status: 200, sub: 'alice' });
    expect(as.tokenRequests.token_exchange).toBe(2); // cached per principal
    expect(up.seen.some((h) => h.includes(aliceJwt) || h.includes(bobJwt))).toBe(false);
  });

  it('one exchange per principal for concurrent calls', async () => {
    const { inbound, as, up, subjectTokens, credentials } = await setup();
    subjectTokens.note(principal('alice'), await inbound.sign({ sub: 'alice' }));
    const answers = await Promise.all(Array.from({ length: 10 }, () => call(credentials, up.url, principal('alice'))));
    expect(answers.every((a) => a.sub === 'alice')).toBe(true);
    expect(as.tokenRequests.token_exchange).toBe(1);
  });

  it('no principal, or no inbound token, is a CredentialsError saying why', async () => {
    const { credentials } = await setup();
    await expect(credentials.authorization(undefined)).rejects.toThrow(/needs an authenticated principal/);
    await expect(credentials.authorization(principal('carol'))).rejects.toThrow(/no valid inbound token/);
  });

  it.each([
    ['slow', { slowMs: 2000 }, /unreachable \(no answer in time, 3 tries\)/, 3],
    ['down (503)', { status: 503 }, /unreachable \(HTTP 503, 3 tries\)/, 3],
    ['garbage', { garbage: true as const }, /not a token response/, 1],
    ['50 MB', { hugeBytes: 50 * 1024 * 1024 }, /larger than 1048576 bytes/, 1],
  ])('an authorization server that is %s: a clear CredentialsError, quickly, nothing cached', async (_name, how, message, tries) => {
    const { inbound, as, up, subjectTokens, credentials } = await setup();
    subjectTokens.note(principal('alice'), await inbound.sign({ sub: 'alice' }));
    as.misbehave(how);
    const started = Date.now();
    const err = await credentials.authorization(principal('alice')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CredentialsError);
    expect((err as Error).message).toMatch(message);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(as.tokenRequests.token_exchange).toBe(tries);
    as.misbehave(undefined);
    expect(await call(credentials, up.url, principal('alice'))).toMatchObject({ status: 200, sub: 'alice' });
    expect(as.tokenRequests.token_exchange).toBe(tries + 1);
  });
});
