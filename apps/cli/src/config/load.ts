import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '@mcproxy/core';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { substituteEnv } from './env.js';
import { httpUpstreamSchema, pipelineFileSchema, stdioUpstreamSchema, type Pipeline, type Upstream } from './schema.js';

const where = (path: ReadonlyArray<PropertyKey>): string =>
  path.length === 0 ? '(top)' : path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');

function explain(file: string, issues: z.core.$ZodIssue[], prefix: PropertyKey[] = []): ConfigError {
  const lines = issues.map((i) => `  at ${where([...prefix, ...i.path])}: ${i.message}`);
  return new ConfigError(`invalid pipeline file ${file}:\n${lines.join('\n')}`);
}

function upstream(file: string, section: string, name: string, raw: Record<string, unknown>): Upstream {
  const schema = 'command' in raw ? stdioUpstreamSchema : 'url' in raw ? httpUpstreamSchema : undefined;
  if (schema === undefined) {
    throw new ConfigError(
      `invalid pipeline file ${file}:\n  at ${section}.${name}: expected "command" (a server started over stdio) or "url" (a server over streamable HTTP or SSE)`,
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
  // `false`: values typed on the command line are taken literally.
  const parsed = pipelineFileSchema.safeParse(env === false ? (raw ?? {}) : substituteEnv(raw ?? {}, env, file));
  if (!parsed.success) throw explain(file, parsed.error.issues);
  const data = parsed.data;
  const upstreams: Record<string, Upstream> = {};
  for (const section of ['upstreams', 'mcpServers'] as const) {
    for (const [name, entry] of Object.entries(data[section] ?? {})) {
      if (name in upstreams) throw new ConfigError(`invalid pipeline file ${file}:\n  at ${section}.${name}: the name "${name}" is used twice`);
      upstreams[name] = upstream(file, section, name, entry);
    }
  }
  if (Object.keys(upstreams).length === 0) {
    throw new ConfigError(`invalid pipeline file ${file}:\n  at upstreams: expected at least one upstream server`);
  }
  return {
    serve: { stdio: Boolean(data.serve.stdio), http: data.serve.http, sse: data.serve.sse },
    upstreams,
    pipeline: data.pipeline,
    timeouts: data.timeouts,
    limits: data.limits,
    supervision: data.supervision,
    chain: data.chain,
    ...(data.admin === undefined ? {} : { admin: data.admin }),
    ...(data.tracing === undefined ? {} : { tracing: data.tracing }),
    baseDir: dirname(resolve(file)),
  };
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
