import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UNMATCHED_GATE } from '../config/principals.js';
import { BUILTIN_OPTIONS } from '../config/middleware-options.js';
import { ConfigError, type Logger, type Middleware, type MiddlewareFactory } from '@mcproxy/core';
import { onlyWhen, refuseUnmatched, type When } from '../config/when.js';

/** Short names for the middleware that ship with mcproxy, and their packages. */
export const BUILTIN_MIDDLEWARE: Record<string, string> = Object.fromEntries(Object.entries(BUILTIN_OPTIONS).map(([short, b]) => [short, b.package]));

async function importFrom(spec: string, baseDir: string): Promise<Record<string, unknown>> {
  if (spec.startsWith('.') || isAbsolute(spec)) return import(pathToFileURL(resolve(baseDir, spec)).href);
  try {
    // A package installed next to the pipeline file wins over one next to mcproxy.
    return await import(pathToFileURL(createRequire(join(baseDir, 'pipeline')).resolve(spec)).href);
  } catch {
    return import(spec);
  }
}

/**
 * Why a `use` did not load, for a person: a name that is neither built in nor
 * installed lists the built-ins; mcproxy's own install paths are left out.
 */
function cannotLoad(spec: string, baseDir: string, err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
  const builtins = Object.keys(BUILTIN_MIDDLEWARE).join(', ');
  const missing = (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message.includes(spec.startsWith('.') ? resolve(baseDir, spec) : spec);
  if (missing && (spec.startsWith('.') || isAbsolute(spec))) return `cannot load "${spec}": there is no such file (looked for ${resolve(baseDir, spec)})`;
  if (missing) {
    return (
      `unknown middleware "${spec}": it is not a built-in (those are ${builtins}) and no package of that name is installed ` +
      'next to the pipeline file or beside mcproxy; install it, or give a path to a module, like ./my-middleware.js'
    );
  }
  return `cannot load "${spec}": ${message.replace(/ imported from \S+/, '')}`;
}

/**
 * Refuses a `.ts` middleware this Node cannot load, saying what to do. Node
 * strips types by default from 23.6, and from 22.6 with
 * --experimental-strip-types; a flag cannot be turned on once the process
 * runs, so this can only tell, not fix.
 */
function checkTypeScript(spec: string, baseDir: string, at: string): void {
  if (!(spec.startsWith('.') || isAbsolute(spec)) || !/\.[mc]?ts$/.test(spec)) return;
  if ((process.features as { typescript?: unknown }).typescript) return;
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  if (flags.some((f) => f === '--experimental-strip-types' || f === '--experimental-transform-types')) return;
  throw new ConfigError(
    `${at}: Node ${process.version} cannot load TypeScript middleware (${resolve(baseDir, spec)}); compile it to .js, ` +
      'or run mcproxy on Node 22.6+ with --experimental-strip-types (23.6+: by default)',
  );
}

/** What every factory gets besides its log while this process shares a store with other replicas (see `shareWithReplicas`). */
let sharedEnv: ((entry: string) => Record<string, unknown>) | undefined;

/**
 * Gives each middleware factory from now on what replicas share: its
 * rate-limit buckets (`buckets`, per entry: `<route>#<index>`) and the
 * shared signing keys (`keys`). One store per process, so this is the process's; undefined
 * stops it (the store closed).
 */
export function shareWithReplicas(env: ((entry: string) => Record<string, unknown>) | undefined): void {
  sharedEnv = env;
}

/**
 * Builds the middleware a pipeline file lists, in order. `use` is a short
 * name of a built-in, an npm package name, or a path relative to the file;
 * the module's default export (or `createMiddleware`) is the factory. An
 * entry with `when:` runs only for the principals it names (see `onlyWhen`).
 */
export async function loadMiddleware(
  entries: ReadonlyArray<{ use: string; with: Record<string, unknown>; when?: When | undefined }>,
  baseDir: string,
  log: Logger,
  scope = '/mcp',
): Promise<Middleware[]> {
  const out: Middleware[] = [];
  // The gate checkPipeline puts first is not one of the file's entries: they keep their indexes in messages.
  const offset = entries[0]?.use === UNMATCHED_GATE ? 1 : 0;
  for (const [i, entry] of entries.entries()) {
    if (i === 0 && offset === 1 && Array.isArray(entry.with.whens)) {
      out.push(refuseUnmatched(entry.with.whens as When[]));
      continue;
    }
    const spec = BUILTIN_MIDDLEWARE[entry.use] ?? entry.use;
    const at = `pipeline[${i - offset}] (${entry.use})`;
    checkTypeScript(spec, baseDir, at);
    let mod: Record<string, unknown>;
    try {
      mod = await importFrom(spec, baseDir);
    } catch (err) {
      throw new ConfigError(`${at}: ${cannotLoad(spec, baseDir, err)}`);
    }
    const factory = (mod.default ?? mod.createMiddleware) as MiddlewareFactory | undefined;
    if (typeof factory !== 'function') throw new ConfigError(`${at}: "${spec}" has no default export (or createMiddleware) that makes a middleware`);
    try {
      const mw = await factory(entry.with, { log: log.child({ middleware: entry.use }), ...sharedEnv?.(`${scope}#${i - offset}`) });
      if (typeof mw !== 'function') throw new ConfigError(`the factory returned ${typeof mw}, not a middleware function`);
      // `when:` makes the entry skip every request whose principal it is not for.
      out.push(entry.when === undefined ? mw : onlyWhen(entry.when, mw));
    } catch (err) {
      throw new ConfigError(`${at}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return out;
}
