import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '@mcproxy/core';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { nearest } from '../nearest.js';
import { checkAuthEntry, checkCredentialModes } from './credentials-schema.js';
import { substituteEnv } from './env.js';
import { checkToolSearchOrder } from './pipeline-order.js';
import { resolvePrincipals } from './principals.js';
import { builtinOptions } from './middleware-options.js';
import { httpUpstreamSchema, pipelineFileSchema, stdioUpstreamSchema, type Pipeline, type PipelineFile, type Upstream } from './schema.js';

const where = (path: ReadonlyArray<PropertyKey>): string =>
  path.length === 0 ? '(top)' : path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');

function explain(file: string, issues: z.core.$ZodIssue[], prefix: PropertyKey[] = []): ConfigError {
  const lines = issues.map((i) => `  at ${where([...prefix, ...i.path])}: ${i.message}`);
  return new ConfigError(`invalid pipeline file ${file}:\n${lines.join('\n')}`);
}

/** Keys desktop hosts write that mcproxy accepts and does nothing with. */
const HOST_ONLY = ['autoApprove', 'alwaysAllow', 'timeout'] as const;

/** Every key an upstream entry may have, of either kind, with those desktop hosts write. */
const UPSTREAM_KEYS = [...new Set([...Object.keys(stdioUpstreamSchema.shape), ...Object.keys(httpUpstreamSchema.in.shape)])];

/** Words people write for the two keys an entry must have one of. */
const ALIASES: Record<string, string> = { cmd: 'command', exec: 'command', program: 'command', bin: 'command', uri: 'url', endpoint: 'url', href: 'url' };

/**
 * The keys of an entry with neither command nor url that no upstream has,
 * each with "command" or "url" when it looks like a slip of one of them
 * (only those two: the entry lacks one, and a guess among every key would
 * name `cwd` for `cmd`).
 */
function unknownKeys(raw: Record<string, unknown>): string {
  const unknown = Object.keys(raw).filter((k) => !UPSTREAM_KEYS.includes(k));
  if (unknown.length === 0) return '';
  const said = unknown.map((k) => {
    const guess = ALIASES[k.toLowerCase()] ?? nearest(k, ['command', 'url']);
    return `"${k}"${guess === undefined ? '' : ` (did you mean "${guess}"?)`}`;
  });
  return `unknown key${unknown.length === 1 ? '' : 's'} ${said.join(', ')}; `;
}

/** Checks one upstream entry as the kind its keys say (command or url), naming the file and the path of each mistake. */
export function checkUpstream(file: string, section: string, name: string, raw: Record<string, unknown>): Upstream {
  checkAuthEntry(file, `${section}.${name}`, raw);
  const schema = 'command' in raw ? stdioUpstreamSchema : 'url' in raw ? httpUpstreamSchema : undefined;
  if (schema === undefined) {
    throw new ConfigError(
      `invalid pipeline file ${file}:\n  at ${section}.${name}: ${unknownKeys(raw)}expected "command" (a server started over stdio) or "url" (a server over streamable HTTP or SSE)`,
    );
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw explain(file, parsed.error.issues, [section, name]);
  return parsed.data;
}

/**
 * Checks a parsed pipeline file: environment references, the shape of
 * every entry, and that there is something to proxy. Every error names
 * the file, the path inside it and what was expected.
 */
export function checkPipeline(raw: unknown, file: string, env: NodeJS.ProcessEnv | false = process.env): Pipeline {
  const ignored: string[] = [];
  // `false`: values typed on the command line are taken literally.
  const substituted = env === false ? (raw ?? {}) : substituteEnv(raw ?? {}, env, file);
  const parsed = pipelineFileSchema.safeParse(withoutHostKeys(substituted, ignored));
  if (!parsed.success) throw explain(file, parsed.error.issues);
  const data = parsed.data;
  checkOptions(file, 'pipeline', data.pipeline);
  for (const [path, route] of Object.entries(data.routes ?? {})) checkOptions(file, `routes.${path}.pipeline`, route.pipeline);
  const upstreams = upstreamsOf(file, '', data, ignored);
  checkToolSearchOrder(file, 'pipeline', data.pipeline);
  const routes: Pipeline['routes'] = {};
  for (const [path, route] of Object.entries(data.routes ?? {})) {
    if (!/^\/[A-Za-z0-9_.~/-]*$/.test(path))
      throw new ConfigError(`invalid pipeline file ${file}:\n  at routes.${path}: a path such as /gdrive (letters, digits, "_", ".", "~", "-" and "/")`);
    checkToolSearchOrder(file, `routes.${path}.pipeline`, route.pipeline);
    // A route's principals are those of its own auth, else the top-level one's (whose unmatched: refuse guards the top-level endpoint only).
    const routeAuth = route.auth ?? (data.auth === undefined ? undefined : { ...data.auth, unmatched: undefined });
    routes[path] = {
      upstreams: upstreamsOf(file, `routes.${path}.`, route, ignored),
      pipeline: resolvePrincipals(file, route.pipeline, routeAuth, `routes.${path}.pipeline`),
      ...(route.auth === undefined ? {} : { auth: route.auth }),
    };
    if (Object.keys(routes[path].upstreams).length === 0) {
      throw new ConfigError(`invalid pipeline file ${file}:\n  at routes.${path}: expected at least one upstream server`);
    }
  }
  const discover =
    data.discover === undefined ? undefined : typeof data.discover === 'string' ? { dir: data.discover, as: 'aggregate' as const } : data.discover;
  if (Object.keys(upstreams).length === 0 && Object.keys(routes).length === 0 && discover === undefined) {
    throw new ConfigError(`invalid pipeline file ${file}:\n  at upstreams: expected at least one upstream server`);
  }
  checkRoutes(file, data.serve, Object.keys(upstreams).length > 0 || discover?.as === 'aggregate', Object.keys(routes));
  if (discover?.as === 'routes' && data.serve.http === undefined) {
    throw new ConfigError(`invalid pipeline file ${file}:\n  at discover: discovered routes are served on the HTTP port: add serve.http`);
  }
  const pipeline: Pipeline = {
    serve: { stdio: Boolean(data.serve.stdio), http: data.serve.http, sse: data.serve.sse },
    upstreams,
    routes,
    discover: discover === undefined ? undefined : { dir: resolve(dirname(resolve(file)), discover.dir), as: discover.as },
    ignored,
    pipeline: resolvePrincipals(file, data.pipeline, data.auth),
    auth: data.auth,
    ...(data.credentials === undefined ? {} : { credentials: data.credentials }),
    timeouts: data.timeouts,
    limits: data.limits,
    supervision: data.supervision,
    chain: data.chain,
    ...(data.admin === undefined ? {} : { admin: data.admin }),
    ...(data.tracing === undefined ? {} : { tracing: data.tracing }),
    ...(data.store === undefined ? {} : { store: data.store }),
    baseDir: dirname(resolve(file)),
  };
  checkCredentialModes(file, pipeline);
  checkStore(file, pipeline);
  return pipeline;
}

/**
 * Checks the `with:` of each built-in middleware against the schema its
 * factory uses, while the file is read: a mistake names the file and the
 * place, as any other, rather than surfacing when the chain is built.
 */
function checkOptions(file: string, at: string, entries: ReadonlyArray<{ use: string; with: Record<string, unknown> }>): void {
  for (const [i, entry] of entries.entries()) {
    const parsed = builtinOptions(entry.use)?.safeParse(entry.with);
    if (parsed !== undefined && !parsed.success) throw explain(file, parsed.error.issues, [`${at}[${i}] (${entry.use})`, 'with']);
  }
}

/**
 * A desktop host's config file carries keys of its own beside `mcpServers`
 * (window settings, preferences): in a file that has `mcpServers` and no
 * `upstreams`, top-level keys mcproxy does not know are set aside (and
 * noted); in a pipeline file a stray key is still a mistake to report.
 */
function withoutHostKeys(raw: unknown, ignored: string[]): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const record = raw as Record<string, unknown>;
  if (!('mcpServers' in record) || 'upstreams' in record) return raw;
  const known = pipelineFileSchema.shape;
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (key in known) kept[key] = value;
    else ignored.push(key);
  }
  return kept;
}

/** The upstreams of one section pair (`upstreams` and `mcpServers`), without the disabled ones. */
function upstreamsOf(
  file: string,
  at: string,
  data: { upstreams?: Record<string, Record<string, unknown>> | undefined; mcpServers?: Record<string, Record<string, unknown>> | undefined },
  ignored: string[],
): Record<string, Upstream> {
  const upstreams: Record<string, Upstream> = {};
  for (const section of ['upstreams', 'mcpServers'] as const) {
    for (const [name, entry] of Object.entries(data[section] ?? {})) {
      if (name in upstreams) throw new ConfigError(`invalid pipeline file ${file}:\n  at ${at}${section}.${name}: the name "${name}" is used twice`);
      const checked = checkUpstream(file, `${at}${section}`, name, entry);
      for (const key of HOST_ONLY) if (key in entry) ignored.push(`${at}${section}.${name}.${key}`);
      if (checked.disabled === true) {
        ignored.push(`${at}${section}.${name} (disabled)`);
        continue;
      }
      upstreams[name] = checked;
    }
  }
  return upstreams;
}

/** Routes live on the HTTP port, each on a path nothing else takes. */
function checkRoutes(file: string, serve: PipelineFile['serve'], topLevel: boolean, paths: readonly string[]): void {
  if (paths.length === 0) return;
  const fail = (at: string, why: string): never => {
    throw new ConfigError(`invalid pipeline file ${file}:\n  at ${at}: ${why}`);
  };
  if (serve.http === undefined) fail('routes', 'routes are served on the HTTP port: add serve.http');
  const taken = new Set<string>();
  if (topLevel && serve.http !== undefined) taken.add(serve.http.path);
  if (serve.sse !== undefined && serve.sse.port === undefined) for (const p of [serve.sse.path, serve.sse.messagesPath]) taken.add(p);
  for (const path of paths) if (taken.has(path)) fail(`routes.${path}`, `the path ${path} is already served (serve.http.path or the sse paths)`);
  if (!topLevel && (Boolean(serve.stdio) || serve.sse !== undefined)) fail('serve', 'stdio and sse serve the top-level upstreams, and there are none');
}

/** Reads a pipeline file (YAML, or JSON, which is YAML too) and checks it. */
export async function loadPipeline(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Pipeline> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read pipeline file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    throw new ConfigError(`pipeline file ${file} is not valid YAML or JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  return checkPipeline(raw, file, env);
}

/** A store serves HTTP sessions from several replicas, each reachable by the others at a known port. */
export function checkStore(file: string, pipeline: Pipeline): void {
  const store = pipeline.store;
  if (store === undefined) return;
  const where = file === '--store' ? '--store: in the pipeline, at' : `invalid pipeline file ${file}:\n  at`;
  const http = pipeline.serve.http;
  if (http === undefined) throw new ConfigError(`${where} store: replicas share HTTP sessions: add serve.http`);
  if (http.port === 0 && store.advertise === undefined)
    throw new ConfigError(`${where} store.advertise: with serve.http.port 0, say where the other replicas reach this one (a URL)`);
}
