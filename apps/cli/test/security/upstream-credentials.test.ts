import {
  logText,
  postModern,
  recordingLogger,
  startAuthServer,
  startIssuer,
  startProtectedUpstream,
  textOf,
  type ProtectedUpstream,
  type TestAuthServer,
  type TestIssuer,
} from '@mcproxy/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { checkPipeline } from '../../src/config/load.js';
import { startPipeline, type Running } from '../../src/serve/start.js';
import { FIXTURE } from '../kit/cli-process.js';
import { parseMetrics } from '../kit/observability-kit.js';

// Issue 26 end to end: a pipeline file's `auth:` on URL upstreams, served by the real
// CLI assembly (startPipeline), against the test authorization server and an MCP upstream
// that validates its JWTs (issuer, audience, scope), all on loopback.

const ALICE = 'alice-key-7c2e9a41d05b8f36';
const BOB = 'bob-key-3b8d6f1e9a2c4075';
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

async function serve(raw: Record<string, unknown>) {
  const log = recordingLogger();
  const running: Running = await startPipeline(checkPipeline(raw, 'test pipeline', false), log);
  closers.push(() => running.close());
  return { running, url: running.url!, log };
}

async function authServer(options: Parameters<typeof startAuthServer>[0] = {}): Promise<TestAuthServer> {
  const as = await startAuthServer(options);
  closers.push(() => as.close());
  return as;
}

async function protectedUpstream(as: TestAuthServer, requiredScopes: string[] = []): Promise<ProtectedUpstream> {
  const up = await startProtectedUpstream({ authServer: as, requiredScopes, scopesSupported: ['mcp', 'offline_access'] });
  closers.push(() => up.close());
  return up;
}

/** A 2025-11-25 client (SDK 1.x) that sends `key`, declaring URL-mode elicitation when `url` is true. */
async function legacyClient(url: string, key: string, urlElicitation = true): Promise<Client> {
  const client = new Client({ name: 'credentials-test', version: '1' }, { capabilities: urlElicitation ? { elicitation: { url: {} } } : {} });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  closers.push(() => client.close());
  return client;
}

const whoamiOf = (text: string): { sub: string; scope?: string; aud?: unknown } => JSON.parse(text) as { sub: string; scope?: string };

/** A 2026-07-28 `tools/call whoami` with `key`, declaring URL elicitation. */
const modernWhoami = (url: string, key: string, extra: Record<string, unknown> = {}) =>
  postModern(
    url,
    'tools/call',
    { name: 'whoami', arguments: {}, ...extra },
    { headers: { authorization: `Bearer ${key}` }, capabilities: { elicitation: { url: {} } } },
  );

/** A person's browser: opens the start URL, lets the test AS consent, brings the code back to the callback with the flow's cookie. */
async function consentInBrowser(startUrl: string): Promise<{ status: number; body: string }> {
  const start = await fetch(startUrl, { redirect: 'manual' });
  expect(start.status, await start.clone().text()).toBe(302);
  const cookie = (start.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const atAs = await fetch(start.headers.get('location') ?? '', { redirect: 'manual' });
  expect(atAs.status).toBe(302);
  const back = await fetch(atAs.headers.get('location') ?? '', { redirect: 'manual', headers: { cookie } });
  return { status: back.status, body: await back.text() };
}

/** The URL of a -32042 error an SDK client threw. */
function urlOfElicitationError(err: unknown): string {
  const e = err as { code?: number; data?: { elicitations?: Array<{ mode: string; url: string }> } };
  expect(e.code).toBe(-32042);
  const first = e.data?.elicitations?.[0];
  expect(first?.mode).toBe('url');
  return first!.url;
}

async function callWhoami(client: Client): Promise<{ sub: string; scope?: string }> {
  return whoamiOf(textOf(await client.callTool({ name: 'whoami', arguments: {} })) ?? '{}');
}

describe('auth.clientCredentials: one token for the upstream', () => {
  it('20 concurrent first calls cause one token request; calls succeed in both eras; the token is counted, never logged or shown', async () => {
    const as = await authServer({ clients: [{ clientId: 'mcproxy', clientSecret: 'cc-secret-51f0a9' }] });
    const up = await protectedUpstream(as, ['mcp']);
    const { url, log, running } = await serve({
      serve: { http: { port: 0 } },
      admin: { port: 0 },
      upstreams: { internal: { url: up.url, auth: { clientCredentials: { clientId: 'mcproxy', clientSecret: 'cc-secret-51f0a9', scopes: ['mcp'] } } } },
    });
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => postModern(url, 'tools/call', { name: 'whoami', arguments: {} }, { id: i + 1 })));
    for (const r of replies) expect(JSON.stringify(r.message?.result)).toContain('"sub\\":\\"mcproxy');
    expect(as.tokenRequests.client_credentials).toBe(1);
    const client = new Client({ name: 'legacy', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    closers.push(() => client.close());
    expect((await callWhoami(client)).scope).toContain('mcp');
    expect(as.tokenRequests.client_credentials).toBe(1);

    const tokens = up.seen.filter((s) => s !== '').map((s) => s.replace(/^Bearer /, ''));
    expect(tokens.length).toBeGreaterThan(0);
    const metrics = parseMetrics(await (await fetch(`${running.adminUrl}/metrics`)).text());
    expect(metrics.get('mcproxy_upstream_token_requests_total{upstream="internal",grant="client_credentials",outcome="ok"}')).toBe(1);
    const health = await (await fetch(`${running.adminUrl}/health/servers`)).text();
    for (const token of new Set(tokens)) {
      expect(logText(log.lines)).not.toContain(token);
      expect(health).not.toContain(token);
    }
    expect(logText(log.lines)).not.toContain('cc-secret-51f0a9');
  });
  it('an authorization server that answers garbage or 50 MB gets the client a clear error, and nothing is kept', async () => {
    const as = await authServer({ clients: [{ clientId: 'mcproxy', clientSecret: 'cc-secret-51f0a9' }] });
    const up = await protectedUpstream(as);
    const { url } = await serve({
      serve: { http: { port: 0 } },
      upstreams: { internal: { url: up.url, auth: { clientCredentials: { clientId: 'mcproxy', clientSecret: 'cc-secret-51f0a9' } } } },
    });
    for (const how of [{ garbage: true as const }, { hugeBytes: 50 * 1024 * 1024 }]) {
      as.misbehave(how);
      const reply = await postModern(url, 'tools/call', { name: 'whoami', arguments: {} });
      expect(reply.message?.error?.code, JSON.stringify(how)).toBe(-32011);
      expect(reply.message?.error?.message).toMatch(/credentials/);
      expect(up.seen.every((s) => s === '')).toBe(true);
    }
    // Once it behaves, the next call gets a token: nothing bad was kept.
    as.misbehave(undefined);
    const reply = await postModern(url, 'tools/call', { name: 'whoami', arguments: {} });
    expect(JSON.stringify(reply.message?.result)).toContain('\\"sub\\":\\"mcproxy');
  });
});

describe('auth.tokenExchange: each principal its own token', () => {
  it("A's calls carry a token whose sub is A's, B's B's; the inbound JWT never reaches the upstream", async () => {
    const issuer: TestIssuer = await startIssuer();
    closers.push(() => issuer.close());
    const as = await authServer({
      clients: [{ clientId: 'mcproxy', clientSecret: 'tx-secret-0c4b' }],
      subjectIssuer: { issuer: issuer.issuer, jwksUrl: issuer.jwksUrl },
    });
    const up = await protectedUpstream(as);
    const { url } = await serve({
      serve: { http: { port: 0 } },
      auth: { jwt: { issuer: issuer.issuer, audience: 'mcproxy', jwksUrl: issuer.jwksUrl } },
      upstreams: { team: { url: up.url, auth: { tokenExchange: { clientId: 'mcproxy', clientSecret: 'tx-secret-0c4b', audience: up.url } } } },
    });
    const inbound = { a: await issuer.sign({ sub: 'ann', aud: 'mcproxy' }), b: await issuer.sign({ sub: 'ben', aud: 'mcproxy' }) };
    const ann = await legacyClient(url, inbound.a, false);
    const ben = await legacyClient(url, inbound.b, false);
    for (let i = 0; i < 3; i++) {
      expect((await callWhoami(ann)).sub).toBe('ann');
      expect((await callWhoami(ben)).sub).toBe('ben');
      const modern = await postModern(url, 'tools/call', { name: 'whoami', arguments: {} }, { headers: { authorization: `Bearer ${inbound.a}` } });
      expect(JSON.stringify(modern.message?.result)).toContain('\\"sub\\":\\"ann\\"');
    }
    // Cached per (principal, upstream): one exchange each, however many calls and eras.
    expect(as.tokenRequests.token_exchange).toBe(2);
    for (const seen of up.seen) {
      expect(seen).not.toContain(inbound.a);
      expect(seen).not.toContain(inbound.b);
    }
  });
});

describe('auth.oauth: per user, with consent', () => {
  async function setUp(tokenLifetimeSeconds = 300) {
    const as = await authServer({ tokenLifetimeSeconds, issParameter: true });
    const up = await protectedUpstream(as, ['mcp']);
    const served = await serve({
      serve: { http: { port: 0 } },
      auth: {
        apiKeys: [
          { id: 'alice', key: ALICE },
          { id: 'bob', key: BOB },
        ],
      },
      upstreams: { github: { url: up.url, auth: { oauth: { scopes: ['mcp'] } } } },
    });
    return { as, up, ...served };
  }

  it('a 2025-11-25 client with URL elicitation gets the URL, the user consents, the retry succeeds; another principal still has no token', async () => {
    const { as, url, up, log } = await setUp();
    as.user = 'alice-at-github';
    const alice = await legacyClient(url, ALICE);
    const startUrl = await alice
      .callTool({ name: 'whoami', arguments: {} })
      .then(() => expect.fail('the first call should need consent'), urlOfElicitationError);
    expect(startUrl.startsWith(`${new URL(url).origin}/oauth/start?`)).toBe(true);
    const page = await consentInBrowser(startUrl);
    expect(page.status).toBe(200);
    expect((await callWhoami(alice)).sub).toBe('alice-at-github');
    expect(as.tokenRequests.authorization_code).toBe(1);

    const bob = await legacyClient(url, BOB);
    await bob.callTool({ name: 'whoami', arguments: {} }).then(() => expect.fail('bob has no token'), urlOfElicitationError);
    // A client without URL elicitation is told the URL in the error's message.
    const plain = await legacyClient(url, BOB, false);
    const err = await plain.callTool({ name: 'whoami', arguments: {} }).then(
      () => expect.fail('bob has no token'),
      (e: unknown) => e as { code: number; message: string },
    );
    expect(err.code).toBe(-32019);
    expect(err.message).toMatch(/\/oauth\/start\?/);
    for (const seen of up.seen) {
      expect(seen).not.toContain(ALICE);
      expect(seen).not.toContain(BOB);
    }
    expect(logText(log.lines)).not.toContain(ALICE);
  });

  it('a 2026-07-28 client gets an input_required round with the URL; after consent its retry succeeds', async () => {
    const { as, url } = await setUp();
    as.user = 'bob-at-github';
    const first = await modernWhoami(url, BOB);
    const result = first.message?.result as {
      resultType: string;
      requestState: string;
      inputRequests: Record<string, { method: string; params: { mode: string; url: string } }>;
    };
    expect(result.resultType).toBe('input_required');
    const [request] = Object.values(result.inputRequests);
    expect(request?.method).toBe('elicitation/create');
    expect(request?.params.mode).toBe('url');
    expect((await consentInBrowser(request!.params.url)).status).toBe(200);
    const retry = await modernWhoami(url, BOB, {
      requestState: result.requestState,
      inputResponses: { [Object.keys(result.inputRequests)[0]!]: { action: 'accept' } },
    });
    expect(JSON.stringify(retry.message?.result)).toContain('\\"sub\\":\\"bob-at-github\\"');
    // The round's state is used once: a replay is a new request (Bob has his token now), never the old round.
    const replay = await modernWhoami(url, BOB, { requestState: result.requestState });
    expect(JSON.stringify(replay.message?.result)).toContain('\\"sub\\":\\"bob-at-github\\"');
    // And a principal's state is no other principal's.
    const again = await modernWhoami(url, ALICE);
    const aliceRound = again.message?.result as { requestState: string };
    const stolen = await modernWhoami(url, BOB, { requestState: aliceRound.requestState });
    expect(stolen.message?.error?.code).toBe(-32602);
  });

  it('a refresh after expiry succeeds; a revoked refresh token asks for consent again', async () => {
    // Tokens of 20 s are due for refresh at once (less than the 30 s margin kept before expiry).
    const { as, url } = await setUp(20);
    const alice = await legacyClient(url, ALICE);
    const startUrl = await alice.callTool({ name: 'whoami', arguments: {} }).then(() => expect.fail('consent first'), urlOfElicitationError);
    expect((await consentInBrowser(startUrl)).status).toBe(200);
    expect((await callWhoami(alice)).sub).toBe('user');
    const refreshes = as.tokenRequests.refresh_token;
    expect(refreshes).toBeGreaterThanOrEqual(1);
    expect((await callWhoami(alice)).sub).toBe('user');
    expect(as.tokenRequests.refresh_token).toBeGreaterThan(refreshes);
    as.revokeRefreshTokens();
    const again = await alice
      .callTool({ name: 'whoami', arguments: {} })
      .then(() => expect.fail('a revoked refresh token needs consent again'), urlOfElicitationError);
    expect(again).toMatch(/\/oauth\/start\?/);
    expect((await consentInBrowser(again)).status).toBe(200);
    expect((await callWhoami(alice)).sub).toBe('user');
  });

  it('the callback refuses a forged or replayed state and stores nothing', async () => {
    const { as, url } = await setUp();
    const origin = new URL(url).origin;
    const forged = await fetch(`${origin}/oauth/callback?code=abc&state=forged&iss=${encodeURIComponent(as.issuer)}`);
    expect(forged.status).toBe(400);
    const alice = await legacyClient(url, ALICE);
    const startUrl = await alice.callTool({ name: 'whoami', arguments: {} }).then(() => expect.fail('consent first'), urlOfElicitationError);
    const start = await fetch(startUrl, { redirect: 'manual' });
    const _cookie = (start.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const atAs = await fetch(start.headers.get('location') ?? '', { redirect: 'manual' });
    const callback = atAs.headers.get('location') ?? '';
    // Without the browser's cookie (another browser, or an attacker's link): refused.
    expect((await fetch(callback, { redirect: 'manual' })).status).toBe(400);
    await alice.callTool({ name: 'whoami', arguments: {} }).then(() => expect.fail('nothing was stored'), urlOfElicitationError);
    expect(as.tokenRequests.authorization_code).toBe(0);
  });

  it('beside other upstreams, one the user must sign in to is listed as its sign-in tool, in both eras, until the user has', async () => {
    const as = await authServer({ issParameter: true });
    const up = await protectedUpstream(as);
    const { url } = await serve({
      serve: { http: { port: 0 } },
      auth: {
        apiKeys: [
          { id: 'alice', key: ALICE },
          { id: 'bob', key: BOB },
        ],
      },
      upstreams: { fx: { command: process.execPath, args: [FIXTURE, '--stdio'] }, github: { url: up.url, auth: { oauth: {} } } },
    });
    const alice = await legacyClient(url, ALICE);
    const names = async (client: Client) => (await client.listTools()).tools.map((t) => t.name);
    const before = await names(alice);
    expect(before).toContain('github__sign_in');
    expect(before).toContain('test_simple_text');
    expect(before).not.toContain('whoami');
    const startUrl = await alice.callTool({ name: 'github__sign_in', arguments: {} }).then(() => expect.fail('consent first'), urlOfElicitationError);
    expect((await consentInBrowser(startUrl)).status).toBe(200);
    expect(textOf(await alice.callTool({ name: 'github__sign_in', arguments: {} }))).toMatch(/Signed in to "github"/);
    const after = await names(alice);
    expect(after).toContain('whoami');
    expect(after).not.toContain('github__sign_in');
    expect((await callWhoami(alice)).sub).toBe('user');

    // Bob (2026-07-28) has not signed in: he gets the sign-in tool, and a round when he calls it.
    const list = await postModern(url, 'tools/list', {}, { headers: { authorization: `Bearer ${BOB}` }, capabilities: { elicitation: { url: {} } } });
    expect(JSON.stringify(list.message?.result)).toContain('github__sign_in');
    const round = await postModern(
      url,
      'tools/call',
      { name: 'github__sign_in', arguments: {} },
      { headers: { authorization: `Bearer ${BOB}` }, capabilities: { elicitation: { url: {} } } },
    );
    expect(round.message?.result?.resultType).toBe('input_required');
  });

  it('on a route with its own keys and a per-principal filter, five users consent at once, each with a token of their own; the filtered one is never asked', async () => {
    const as = await authServer({ issParameter: true });
    const up = await protectedUpstream(as);
    const keys = Array.from({ length: 6 }, (_, i) => `route-key-${i}-5f0c2a9e7d41b386`);
    const { running } = await serve({
      serve: { http: { port: 0 } },
      routes: {
        '/gh': {
          auth: { apiKeys: keys.map((key, i) => ({ id: `p${i}`, key })) },
          upstreams: { github: { url: up.url, auth: { oauth: {} } } },
          pipeline: [{ use: 'filter', when: { principals: ['api-key:p5'] }, with: { tools: { allow: ['nothing_*'] } } }],
        },
      },
    });
    const url = new URL('/gh', running.url).href;
    // p0…p4 at the same moment: each is sent to sign in, signs in, and calls as themself.
    const users = await Promise.all(
      keys.slice(0, 5).map(async (key) => {
        const client = await legacyClient(url, key);
        const startUrl = await client.callTool({ name: 'whoami', arguments: {} }).then(() => expect.fail('consent first'), urlOfElicitationError);
        expect((await consentInBrowser(startUrl)).status).toBe(200);
        return { startUrl, whoami: await callWhoami(client) };
      }),
    );
    expect(new Set(users.map((u) => u.startUrl)).size).toBe(5);
    for (const u of users) expect(u.whoami.sub).toBe('user');
    expect(as.tokenRequests.authorization_code).toBe(5);
    expect(new Set(up.seen.filter((s) => s !== '')).size).toBeGreaterThanOrEqual(5);
    // p5's filter hides the tool: the call ends there, with no sign-in asked and no flow opened.
    const p5 = await legacyClient(url, keys[5]!);
    const hidden = await p5.callTool({ name: 'whoami', arguments: {} }).then(
      () => expect.fail('hidden from p5'),
      (e: unknown) => e as { code: number },
    );
    expect(hidden.code).toBe(-32602);
    expect(as.authorizeRequests).toHaveLength(5);
  });

  it('warns at start when the host of serve.http.publicUrl is one the face would refuse', async () => {
    const as = await authServer();
    const up = await protectedUpstream(as);
    const pipeline = (http: Record<string, unknown>) => ({
      serve: { http: { port: 0, ...http } },
      auth: { apiKeys: [{ id: 'alice', key: ALICE }] },
      upstreams: { github: { url: up.url, auth: { oauth: {} } } },
    });
    const refused = await serve(pipeline({ publicUrl: 'https://mcp.example.com' }));
    expect(logText(refused.log.lines)).toMatch(/add \\"mcp\.example\.com\\" to serve\.http\.allowedHosts/);
    const allowed = await serve(pipeline({ publicUrl: 'https://mcp.example.com', allowedHosts: ['mcp.example.com', '127.0.0.1'] }));
    expect(logText(allowed.log.lines)).not.toMatch(/publicUrl: this face refuses/);
  });

  it('refuses an oauth upstream when no face says who the user is', () => {
    expect(() =>
      checkPipeline({ serve: { http: { port: 0 } }, upstreams: { github: { url: 'http://127.0.0.1:1/mcp', auth: { oauth: {} } } } }, 'p.yaml', false),
    ).toThrow(/p\.yaml[\s\S]*upstreams\.github\.auth\.oauth[\s\S]*principal/);
  });
});
