import { ConfigError } from '@mcproxy/core';
import type { Pipeline, Upstream } from '../config/schema.js';

/** What `--env` said: variables to pass from the caller's environment, and variables to set. */
export interface EnvFlags {
  pass: string[];
  set: Record<string, string>;
}

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Reads the `--env NAME[=VALUE]` flags: `NAME` passes the caller's variable
 * of that name to every server mcproxy starts, `NAME=VALUE` sets it. A name
 * that is not one is refused, naming it.
 */
export function readEnvFlags(values: readonly string[]): EnvFlags {
  const flags: EnvFlags = { pass: [], set: {} };
  for (const value of values) {
    const i = value.indexOf('=');
    const name = i < 0 ? value : value.slice(0, i);
    if (!VARIABLE.test(name)) throw new ConfigError(`--env takes NAME or NAME=VALUE, a variable name of letters, digits and "_"; got "${name.slice(0, 60)}"`);
    if (i < 0) flags.pass.push(name);
    else flags.set[name] = value.slice(i + 1);
  }
  return flags;
}

/** One stdio upstream with the flags applied: the command line wins over the file. */
function withFlags(upstream: Upstream, flags: EnvFlags): Upstream {
  if (!('command' in upstream)) return upstream;
  const inherit = upstream.inheritEnv;
  const inheritEnv = inherit === 'all' ? inherit : [...new Set([...(inherit === 'minimal' ? [] : inherit), ...flags.pass])];
  return { ...upstream, env: { ...upstream.env, ...flags.set }, inheritEnv };
}

const applied = (upstreams: Record<string, Upstream>, flags: EnvFlags): Record<string, Upstream> =>
  Object.fromEntries(Object.entries(upstreams).map(([name, u]) => [name, withFlags(u, flags)]));

/**
 * The pipeline with `--env` applied to every server it starts (top-level,
 * routes', discovered ones): the named variables join what each inherits,
 * and the set ones join its `env`. URL upstreams are left as they are.
 */
export function withEnvFlags(pipeline: Pipeline, flags: EnvFlags): Pipeline {
  if (flags.pass.length === 0 && Object.keys(flags.set).length === 0) return pipeline;
  const routes = Object.fromEntries(Object.entries(pipeline.routes).map(([path, r]) => [path, { ...r, upstreams: applied(r.upstreams, flags) }]));
  return { ...pipeline, upstreams: applied(pipeline.upstreams, flags), routes };
}
