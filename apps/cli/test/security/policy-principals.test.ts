// Issue 23, finding 6 and item 9: an API key and a JWT subject with the
// same id are two principals (rate-limit buckets, `when:` entries), a bare id
// that could be either is refused, and `auth.unmatched: refuse` makes `when:`
// default-deny. Over real HTTP, with a local issuer (JWKS on 127.0.0.1).
import { startIssuer, type TestIssuer } from '@mcproxy/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { ALICE_KEY, BOB_KEY, CI_KEY, files, Kit } from '../kit/policy-kit.js';

const SLOW = { timeout: 60_000 };
const AUDIENCE = 'https://mcp.test/mcp';
const kit = new Kit();
let issuer: TestIssuer | undefined;
afterEach(async () => {
  await kit.stop();
  await issuer?.close();
  issuer = undefined;
});

const jwtAuth = (i: TestIssuer): string => `  jwt: { jwksUrl: "${i.jwksUrl}", issuer: "${i.issuer}", audience: "${AUDIENCE}" }\n`;
const names = async (c: Awaited<ReturnType<Kit['client']>>): Promise<string[]> => (await c.listTools()).tools.map((t) => t.name).sort();

describe('principals are namespaced by kind (issue 23, finding 6)', () => {
  it('gives the API key ci and a token with sub ci their own buckets and their own when: entries', SLOW, async () => {
    issuer = await startIssuer();
    const url = await kit.serve(
      `serve: { http: { port: 0 } }
upstreams: { files: ${files} }
auth:
  apiKeys: [{ id: ci, key: "\${CI_KEY}" }]
${jwtAuth(issuer)}pipeline:
  - use: rate-limit
    with: { principal: { rate: 1, per: hour, burst: 4 } }
  - use: filter
    when: { principals: [api-key:ci] }
    with: { tools: { allow: [deploy] } }
`,
    );
    const key = await kit.client(url, { 'x-api-key': CI_KEY });
    expect(await names(key)).toEqual(['deploy']);
    // Spend the key's bucket.
    let refused = false;
    for (let i = 0; i < 6 && !refused; i++)
      refused = await key.listTools().then(
        () => false,
        (err: Error) => /rate limit/.test(err.message),
      );
    expect(refused).toBe(true);
    const token = await issuer.sign({ sub: 'ci', aud: AUDIENCE });
    const jwt = await kit.client(url, { authorization: `Bearer ${token}` });
    // Not the key's view, not the key's empty bucket.
    expect(await names(jwt)).toEqual(['deploy', 'heard']);
  });

  it('refuses a bare id that could be the key or the token subject, naming both spellings (exit 2)', SLOW, async () => {
    issuer = await startIssuer();
    const { code, stderr } = await kit.refused(
      `serve: { http: { port: 0 } }
upstreams: { files: ${files} }
auth:
  apiKeys: [{ id: ci, key: "${CI_KEY}" }]
${jwtAuth(issuer)}pipeline:
  - use: filter
    when: { principals: [ci] }
    with: { tools: { allow: [deploy] } }
`,
    );
    expect(code).toBe(2);
    expect(stderr).toContain('pipeline[0].when.principals[0]');
    expect(stderr).toContain('"api-key:ci" or "jwt:ci"');
  });
});

describe('auth.unmatched: refuse (issue 23, item 9)', () => {
  it('refuses a principal no when: entry names; the named ones go on', SLOW, async () => {
    issuer = await startIssuer();
    const url = await kit.serve(
      `serve: { http: { port: 0 } }
upstreams: { files: ${files} }
auth:
  apiKeys: [{ id: alice, key: "\${ALICE_KEY}" }, { id: bob, key: "\${BOB_KEY}" }]
${jwtAuth(issuer)}  unmatched: refuse
pipeline:
  - use: filter
    when: { principals: [api-key:alice] }
    with: { tools: { deny: [deploy] } }
`,
    );
    const alice = await kit.client(url, { 'x-api-key': ALICE_KEY });
    expect(await names(alice)).toEqual(['heard']);
    // Bob and a token nobody named are refused, where before they saw every tool.
    await expect(kit.client(url, { 'x-api-key': BOB_KEY }).then(names)).rejects.toThrow(/api-key:bob is not named by any when: entry/);
    const stranger = await issuer.sign({ sub: 'newcomer', aud: AUDIENCE });
    await expect(kit.client(url, { authorization: `Bearer ${stranger}` }).then(names)).rejects.toThrow(/jwt:newcomer is not named/);
  });
});
