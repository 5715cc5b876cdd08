import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { pipelineJsonSchema, renderPipelineJsonSchema } from '../../src/config/json-schema.js';
import { checkPipeline } from '../../src/config/load.js';

const root = (path: string): string => fileURLToPath(new URL(`../../../../${path}`, import.meta.url));
const committed = fileURLToPath(new URL('../../schema/pipeline.schema.json', import.meta.url));

// Strict, to hear of keywords it would ignore; `required` in an `anyOf` branch
// names properties declared beside the branch, which that check does not see.
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
// ajv-formats is CommonJS: its plugin is the module and also its `default`.
formats.default(ajv);
const validate = ajv.compile(pipelineJsonSchema());

/** The loader's verdict and the JSON Schema's on one parsed file. */
function verdicts(raw: unknown, env: NodeJS.ProcessEnv | false = false): { loader: boolean; schema: boolean } {
  let loader = true;
  try {
    checkPipeline(raw, 'example', env);
  } catch {
    loader = false;
  }
  return { loader, schema: validate(raw) };
}

/**
 * Every YAML and JSON block of the Markdown files that is (part of) a
 * pipeline file: a list is a `pipeline` section, a file without servers gets
 * one, since the docs show those sections alone. Blocks marked `yml` are other
 * tools' files (Kubernetes, Prometheus, a collector) and are left out.
 */
function examples(): Array<[string, unknown]> {
  const pages = [
    'README.md',
    ...readdirSync(root('docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  const found: Array<[string, unknown]> = [];
  for (const page of pages) {
    const text = readFileSync(root(page), 'utf8');
    for (const m of text.matchAll(/^```(yaml|json)\n([\s\S]*?)^```/gm)) {
      const line = text.slice(0, m.index).split('\n').length;
      let raw: unknown = parseYaml(m[2] ?? '');
      if (Array.isArray(raw)) raw = { pipeline: raw };
      if (typeof raw !== 'object' || raw === null) continue;
      if (!('upstreams' in raw) && !('mcpServers' in raw)) raw = { ...raw, upstreams: { stub: { command: 'x' } } };
      found.push([`${page}:${line}`, raw]);
    }
  }
  return found;
}

describe('the pipeline file JSON Schema', () => {
  it('is the committed file, as the build writes it (run the build of @mcproxy/cli after changing the zod schema)', () => {
    expect(readFileSync(committed, 'utf8')).toBe(renderPipelineJsonSchema());
  });

  it('is the file the package exports', () => {
    const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8'));
    expect(pkg.exports['./pipeline.schema.json']).toBe('./schema/pipeline.schema.json');
    expect(pkg.publishConfig.exports['./pipeline.schema.json']).toBe('./schema/pipeline.schema.json');
    expect(pkg.files).toContain('schema');
  });

  const docs = examples();
  it('finds the examples of the README and docs/', () => {
    expect(docs.length).toBeGreaterThanOrEqual(10);
  });
  it.each(docs)('accepts the example at %s, as the loader does', (_, raw) => {
    expect(verdicts(raw)).toEqual({ loader: true, schema: true });
  });

  const stub = { a: { command: 'x' } };
  it.each<[string, unknown, NodeJS.ProcessEnv?]>([
    ['a $schema key', { $schema: './node_modules/@mcproxy/cli/schema/pipeline.schema.json', upstreams: stub }],
    ["desktop hosts' mcpServers with types", { mcpServers: { a: { type: 'stdio', command: 'x' }, b: { type: 'streamableHttp', url: 'http://h/mcp' } } }],
    [
      'every section',
      {
        serve: { stdio: true, http: { port: 0 }, sse: { port: 9001 } },
        upstreams: { a: { command: 'x', inheritEnv: ['PROXY'] }, b: { url: 'https://h/mcp', transport: 'sse' } },
        timeouts: { requestMs: 1, resetOnProgress: false },
        limits: { sessions: 2 },
        supervision: { stableMs: 0 },
        chain: { id: 'edge', maxHops: 3 },
      },
    ],
    [
      '${VAR} where a pattern, format or choice is wanted',
      { upstreams: { a: { url: 'https://${HOST}/mcp', mode: '${MODE:-shared}' } }, chain: { id: '${ID}' } },
      { HOST: 'h', ID: 'edge' },
    ],
    ['routes and nothing else', { routes: { '/a': { upstreams: stub } } }],
    ['a discovery folder and nothing else', { discover: './servers' }],
    ['discovered servers served as routes', { discover: { dir: './servers', as: 'routes' } }],
    ['an API key from the environment', { upstreams: stub, auth: { apiKeys: [{ id: 'ci', key: '${CI_KEY}' }] } }, { CI_KEY: 'k'.repeat(20) }],
    [
      'a variable where a length is bounded',
      { upstreams: stub, pipeline: [{ use: 'aggregate', with: { stateKey: '${STATE_KEY}' } }] },
      { STATE_KEY: 's'.repeat(40) },
    ],
    [
      "every built-in's options",
      {
        upstreams: stub,
        pipeline: [
          // tool-search first: per-tool policy after it sees the real tool (the loader refuses the other order).
          { use: 'tool-search', with: { results: 3 } },
          { use: 'logging', with: { level: 'debug', payloads: true, redact: ['params.arguments.password'] } },
          { use: 'filter', with: { tools: { deny: ['delete_*'] } } },
          { use: 'rename', with: { tools: { a: 'b' } } },
          { use: 'rate-limit', with: { principal: { rate: 5, per: 'minute' } } },
          { use: 'aggregate', with: { prefix: 'always' } },
        ],
      },
    ],
    ['a built-in by its package name', { upstreams: stub, pipeline: [{ use: '@mcproxy/mw-logging', with: { audit: true } }] }],
    ['options of a middleware of your own, which only it checks', { upstreams: stub, pipeline: [{ use: './mine.js', with: { anything: [1, 2] } }] }],
    ["a route's middleware options", { routes: { '/a': { upstreams: stub, pipeline: [{ use: 'filter', with: { tools: { allow: ['x'] } } }] } } }],
    [
      'credentials toward upstreams, in each mode',
      {
        serve: { http: { publicUrl: 'https://mcp.example' } },
        auth: { jwt: { issuer: 'https://i.example', audience: 'https://mcp.example/mcp', jwksUrl: 'https://i.example/jwks' } },
        credentials: { store: { file: './tokens.json' }, key: '${TOKEN_KEY}' },
        upstreams: {
          a: { url: 'https://a/mcp', auth: { clientCredentials: { clientId: 'mcproxy', clientSecret: '${SECRET}', scopes: ['mcp'] } } },
          b: { url: 'https://b/mcp', auth: { tokenExchange: { clientId: 'mcproxy', audience: 'https://b/mcp' } } },
          c: { url: 'https://c/mcp', auth: { oauth: { scopes: ['repo'] } } },
        },
      },
      { TOKEN_KEY: Buffer.alloc(32).toString('base64'), SECRET: 's' },
    ],
  ])('accepts %s, as the loader does', (_, raw, env) => {
    expect(verdicts(raw, env ?? false)).toEqual({ loader: true, schema: true });
  });

  it.each<[string, unknown]>([
    ['an unknown top-level key', { upstream: stub }],
    ['a misspelt serve key', { serve: { htp: {} }, upstreams: stub }],
    ['nothing to serve', { serve: { stdio: false }, upstreams: stub }],
    ['no upstream at all', { serve: { stdio: true } }],
    ['an empty upstreams and no mcpServers', { upstreams: {} }],
    ['an upstream with neither command nor url', { upstreams: { a: { cmd: 'x' } } }],
    ['an upstream with both command and url', { upstreams: { a: { command: 'x', url: 'http://h/mcp' } } }],
    ['a number among args', { upstreams: { a: { command: 'x', args: [1] } } }],
    ['an unknown mode', { upstreams: { a: { command: 'x', mode: 'pooled' } } }],
    ['a url that is not http', { upstreams: { a: { url: 'ftp://h/mcp' } } }],
    ['a server name with a space', { upstreams: { 'my server': { command: 'x' } } }],
    ['a port out of range', { serve: { http: { port: 70000 } }, upstreams: stub }],
    ['a path without its slash', { serve: { http: { path: 'mcp' } }, upstreams: stub }],
    ['a zero limit', { upstreams: stub, limits: { requestsPerSession: 0 } }],
    ['a misspelt limit', { upstreams: stub, limits: { session: 5 } }],
    ['a pipeline entry without use', { upstreams: stub, pipeline: [{ with: {} }] }],
    // Substitution gives strings: a number cannot come from a variable.
    ['a port written as a variable', { serve: { http: { port: '${PORT}' } }, upstreams: stub }],
    ['routes that are empty, and nothing else', { routes: {} }],
    ['only disabled servers', { upstreams: { a: { command: 'x', disabled: true } } }],
    ['routes without the HTTP face', { serve: { stdio: true }, routes: { '/a': { upstreams: stub } } }],
    ['routes alone with an SSE face beside, which would serve nothing', { serve: { http: {}, sse: { port: 9001 } }, routes: { '/a': { upstreams: stub } } }],
    ['discovered routes without the HTTP face', { serve: { stdio: true }, discover: { dir: 's', as: 'routes' } }],
    ['an unknown option of a built-in', { upstreams: stub, pipeline: [{ use: 'logging', with: { payload: true } }] }],
    ['a choice a built-in does not offer', { upstreams: stub, pipeline: [{ use: 'aggregate', with: { prefix: 'sometimes' } }] }],
    ['a rate limit without its rate', { upstreams: stub, pipeline: [{ use: 'rate-limit', with: { principal: {} } }] }],
    ['a built-in by package name with a misspelt option', { upstreams: stub, pipeline: [{ use: '@mcproxy/mw-filter', with: { tool: {} } }] }],
    [
      "a bad option in a route's middleware",
      { routes: { '/a': { upstreams: stub, pipeline: [{ use: 'rename', with: { tools: { a: 'no spaces allowed' } } }] } } },
    ],
    ['a redact path outside the payloads', { upstreams: stub, pipeline: [{ use: 'logging', with: { redact: ['password'] } }] }],
    ['a key shorter than a key may be', { upstreams: stub, auth: { apiKeys: [{ id: 'ci', key: 'short' }] } }],
    ['credentials for a command upstream', { upstreams: { a: { command: 'x', auth: { oauth: {} } } } }],
    ['two credential modes at once', { upstreams: { a: { url: 'https://a/mcp', auth: { oauth: {}, clientCredentials: { clientId: 'c' } } } } }],
    ['an unknown credential mode', { upstreams: { a: { url: 'https://a/mcp', auth: { password: {} } } } }],
    ['a publicUrl that is not http', { serve: { http: { publicUrl: 'ftp://h' } }, upstreams: stub }],
  ])('refuses %s, as the loader does', (_, raw) => {
    expect(verdicts(raw, { PORT: '9000' })).toEqual({ loader: false, schema: false });
  });

  // What JSON Schema cannot say: checks that compare one option with another. The
  // loader refuses these while reading the file; an editor does not underline them.
  it.each<[string, unknown]>([
    ['two names renamed to one', { upstreams: stub, pipeline: [{ use: 'rename', with: { tools: { a: 'c', b: 'c' } } }] }],
    ['a rate limit that limits nothing', { upstreams: stub, pipeline: [{ use: 'rate-limit', with: {} }] }],
    ['more tool-search results than its maximum', { upstreams: stub, pipeline: [{ use: 'tool-search', with: { results: 30, maxResults: 20 } }] }],
    ['per-user tokens with no face that authenticates', { upstreams: { a: { url: 'https://a/mcp', auth: { oauth: {} } } } }],
    [
      'credentials beside an authorization header',
      {
        upstreams: { a: { url: 'https://a/mcp', headers: { authorization: 'x' }, auth: { oauth: {} } } },
        auth: { apiKeys: [{ id: 'ci', key: 'k'.repeat(24) }] },
      },
    ],
    ['a token file without its key', { upstreams: stub, credentials: { store: { file: 't.json' } } }],
  ])('leaves %s to the loader, which refuses it', (_, raw) => {
    expect(verdicts(raw)).toEqual({ loader: false, schema: true });
  });
});
