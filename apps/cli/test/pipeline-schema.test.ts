import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { pipelineJsonSchema, renderPipelineJsonSchema } from '../src/config/json-schema.js';
import { checkPipeline } from '../src/config/load.js';

const root = (path: string): string => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const committed = fileURLToPath(new URL('../schema/pipeline.schema.json', import.meta.url));

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
    const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8'));
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
  ])('refuses %s, as the loader does', (_, raw) => {
    expect(verdicts(raw, { PORT: '9000' })).toEqual({ loader: false, schema: false });
  });
});
