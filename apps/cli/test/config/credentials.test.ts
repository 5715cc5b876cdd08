import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPipeline } from '../../src/config/load.js';
import { runCli } from '../kit/cli-process.js';

const KEY = Buffer.alloc(32, 7).toString('base64');
const jwt = { issuer: 'https://issuer.example', audience: 'https://mcp.example/mcp', jwksUrl: 'https://issuer.example/jwks' };
const keys = { apiKeys: [{ id: 'ci', key: 'k'.repeat(24) }] };
const url = 'https://api.example/mcp';

/** The loader's error for `raw`, or 'accepted'. */
function verdict(raw: unknown, env: NodeJS.ProcessEnv = {}): string {
  try {
    checkPipeline(raw, 'pipe.yaml', env);
    return 'accepted';
  } catch (err) {
    return (err as Error).message;
  }
}

describe('credentials toward upstreams in the pipeline file', () => {
  it('reads the three modes, credentials and publicUrl, with ${ENV} substituted', () => {
    const p = checkPipeline(
      {
        serve: { http: { port: 0, publicUrl: 'https://mcp.example/' } },
        auth: { jwt },
        credentials: { store: { file: './tokens.json' }, key: '${TOKEN_KEY}' },
        upstreams: {
          internal: { url, auth: { clientCredentials: { clientId: 'mcproxy', clientSecret: '${SECRET}', scopes: ['mcp'] } } },
          team: { url, auth: { tokenExchange: { clientId: 'mcproxy', clientSecret: '${SECRET}', audience: url } } },
          github: { url, auth: { oauth: { scopes: ['repo'] } } },
        },
      },
      'pipe.yaml',
      { SECRET: 's3cret', TOKEN_KEY: KEY },
    );
    expect(p.serve.http?.publicUrl).toBe('https://mcp.example');
    expect(p.credentials).toEqual({ store: { file: './tokens.json' }, key: KEY });
    expect(p.upstreams.internal).toMatchObject({ auth: { clientCredentials: { clientId: 'mcproxy', clientSecret: 's3cret', scopes: ['mcp'] } } });
    expect(p.upstreams.team).toMatchObject({ auth: { tokenExchange: { audience: url } } });
    expect(p.upstreams.github).toMatchObject({ auth: { oauth: { scopes: ['repo'] } } });
  });

  it.each<[string, unknown, string]>([
    ['auth on a command upstream', { upstreams: { a: { command: 'x', auth: { oauth: {} } } } }, 'at upstreams.a.auth: credentials are for URL upstreams'],
    [
      'auth beside an Authorization header',
      { upstreams: { a: { url, headers: { Authorization: 'Bearer x' }, auth: { clientCredentials: { clientId: 'c', clientSecret: 's' } } } } },
      'at upstreams.a.headers: an upstream with `auth` gets its Authorization header from its credentials',
    ],
    [
      'oauth without a face that authenticates',
      { upstreams: { a: { url, auth: { oauth: {} } } } },
      'at upstreams.a.auth.oauth: per-user tokens need a principal',
    ],
    [
      'oauth without serve.http',
      { serve: { sse: { port: 0 } }, auth: keys, upstreams: { a: { url, auth: { oauth: {} } } } },
      'at upstreams.a.auth.oauth: per-user authorization needs serve.http',
    ],
    [
      'tokenExchange with API keys only',
      { auth: keys, upstreams: { a: { url, auth: { tokenExchange: { clientId: 'c' } } } } },
      'at upstreams.a.auth.tokenExchange: token exchange trades the JWT a client presented: add `auth.jwt`',
    ],
    [
      "a route's oauth upstream without auth",
      { routes: { '/gh': { upstreams: { a: { url, auth: { oauth: {} } } } } } },
      'at routes./gh.upstreams.a.auth.oauth: per-user tokens need a principal',
    ],
    [
      'a file store without key',
      { credentials: { store: { file: 't.json' } }, upstreams: { a: { command: 'x' } } },
      'at credentials.key: a file store needs `key`',
    ],
    [
      'two modes at once',
      { upstreams: { a: { url, auth: { clientCredentials: { clientId: 'c' }, oauth: {} } } } },
      'expected exactly one of clientCredentials, tokenExchange, oauth',
    ],
    ['no mode', { upstreams: { a: { url, auth: {} } } }, 'at upstreams.a.auth: expected exactly one of'],
    ['a misspelt mode', { upstreams: { a: { url, auth: { clientCredential: { clientId: 'c' } } } } }, 'at upstreams.a.auth'],
    [
      'client credentials without a client id',
      { upstreams: { a: { url, auth: { clientCredentials: { clientSecret: 's' } } } } },
      'at upstreams.a.auth.clientCredentials.clientId',
    ],
    ['a publicUrl with a query', { serve: { http: { publicUrl: 'https://h/?x=1' } }, upstreams: { a: { command: 'x' } } }, 'at serve.http.publicUrl'],
  ])('refuses %s, naming the file and the place', (_, raw, expected) => {
    const said = verdict(raw);
    expect(said).toContain('invalid pipeline file pipe.yaml');
    expect(said).toContain(expected);
  });

  it('accepts oauth with API keys on the face, and a route judged by its own auth', () => {
    expect(verdict({ auth: keys, upstreams: { a: { url, auth: { oauth: { clientId: 'mcproxy' } } } } })).toBe('accepted');
    expect(verdict({ routes: { '/gh': { auth: keys, upstreams: { a: { url, auth: { oauth: {} } } } } } })).toBe('accepted');
    expect(verdict({ credentials: { key: Buffer.alloc(32, 1).toString('hex') }, upstreams: { a: { command: 'x' } } })).toBe('accepted');
  });

  it('never says a secret or a key in its errors', () => {
    const said = verdict(
      {
        credentials: { store: { file: 't' }, key: '${K}' },
        upstreams: { a: { url, headers: { authorization: 'x' }, auth: { clientCredentials: { clientId: 'c', clientSecret: '${S}' } } } },
      },
      { K: 'not-a-key-but-secret', S: 'hunter2' },
    );
    expect(said).not.toContain('hunter2');
    expect(verdict({ credentials: { key: '${K}' }, upstreams: { a: { command: 'x' } } }, { K: 'not-a-key-but-secret' })).not.toContain('not-a-key-but-secret');
  });
});

describe('the CLI on a file it refuses', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcproxy-credentials-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('exits 2 naming the file, the path and what was expected', async () => {
    const file = join(dir, 'pipe.yaml');
    await writeFile(file, `upstreams:\n  gh:\n    url: ${url}\n    auth: { oauth: { scopes: [repo] } }\n`);
    const run = runCli(['--config', file]);
    expect((await run.exited).code).toBe(2);
    const said = run.stderr.join('\n');
    expect(said).toContain(`invalid pipeline file ${file}`);
    expect(said).toContain('at upstreams.gh.auth.oauth: per-user tokens need a principal');
  });
});
