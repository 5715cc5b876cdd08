import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ConfigError, isObject, type Logger } from '@mcproxy/core';
import { checkUpstream } from './load.js';
import type { Pipeline, Upstream } from './schema.js';

/** What a folder gave: upstreams by name, and what was passed over (for a debug line). */
export interface Discovered {
  upstreams: Record<string, Upstream>;
  skipped: string[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** How each registry package type is started when its server.json gives no runtimeHint. */
const RUNNERS: Record<string, string> = { npm: 'npx', pypi: 'uvx', oci: 'docker' };

/**
 * Makes an upstream of each entry of `dir`: a folder with an MCP registry
 * `server.json` (its first stdio package, else its first remote), a folder
 * with a `package.json` whose `bin` or `main` starts a server (run with
 * this Node), or a file `*.mcp.json` holding one `mcpServers` entry.
 * Anything else is passed over. An entry that says something wrong is a
 * `ConfigError` naming its file, like any pipeline file.
 */
export async function discoverFolder(dir: string): Promise<Discovered> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    throw new ConfigError(`cannot read the discovery folder ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const found: Discovered = { upstreams: {}, skipped: [] };
  const add = (name: string, upstream: Upstream, from: string): void => {
    if (name in found.upstreams) throw new ConfigError(`discovery folder ${dir}: two entries are named "${name}" (the second is ${from})`);
    found.upstreams[name] = upstream;
  };
  for (const entry of names) {
    const path = join(dir, entry);
    const kind = await stat(path).catch(() => undefined);
    if (kind?.isFile() && entry.endsWith('.mcp.json')) {
      const [name, upstream] = await fromMcpJson(path, dir);
      add(name, upstream, path);
    } else if (kind?.isDirectory()) {
      const hit = (await fromServerJson(path)) ?? (await fromPackageJson(path));
      if (hit === undefined) found.skipped.push(`${entry}/ (no server.json, and no package.json with bin or main)`);
      else add(nameOf(entry, path), hit, path);
    } else found.skipped.push(entry);
  }
  return found;
}

/**
 * Adds what the pipeline's `discover` folder holds: upstreams of the
 * top-level endpoint, or a route `/<name>` each. Run at startup and on
 * every reload, so entries added or removed since are picked up.
 */
export async function withDiscovered(pipeline: Pipeline, log: Logger): Promise<Pipeline> {
  if (pipeline.discover === undefined) return pipeline;
  const { upstreams, skipped } = await discoverFolder(pipeline.discover.dir);
  if (skipped.length > 0) log.debug({ dir: pipeline.discover.dir, skipped }, 'discovery passed over these entries');
  const names = Object.keys(upstreams);
  log.info({ dir: pipeline.discover.dir, as: pipeline.discover.as, found: names }, `discovered ${names.length} server${names.length === 1 ? '' : 's'}`);
  if (pipeline.discover.as === 'routes') {
    const routes = { ...pipeline.routes };
    for (const [name, upstream] of Object.entries(upstreams)) {
      const path = `/${name}`;
      if (path in routes || path === pipeline.serve.http?.path)
        throw new ConfigError(`discovered server "${name}" would be served at ${path}, which the pipeline file already uses`);
      routes[path] = { upstreams: { [name]: upstream }, pipeline: [] };
    }
    return { ...pipeline, routes };
  }
  for (const name of names) {
    if (name in pipeline.upstreams) throw new ConfigError(`discovered server "${name}" has the name of an upstream in the pipeline file`);
  }
  return { ...pipeline, upstreams: { ...pipeline.upstreams, ...upstreams } };
}

/** A folder's name as an upstream name: characters a name may not have become "-". */
function nameOf(entry: string, path: string): string {
  const name = entry.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  if (!NAME.test(name)) throw new ConfigError(`discovery entry ${path}: cannot make an upstream name of "${entry}"`);
  return name;
}

async function readJson(file: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(text);
    if (isObject(value)) return value;
  } catch (err) {
    throw new ConfigError(`${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  throw new ConfigError(`${file}: expected a JSON object`);
}

/** A `*.mcp.json` file: exactly one `mcpServers` entry, its `cwd` relative to the folder. */
async function fromMcpJson(file: string, dir: string): Promise<[string, Upstream]> {
  const json = await readJson(file);
  const servers = json?.mcpServers;
  const entries = typeof servers === 'object' && servers !== null ? Object.entries(servers as Record<string, unknown>) : [];
  if (entries.length !== 1) throw new ConfigError(`invalid discovery file ${file}:\n  at mcpServers: expected exactly one server, found ${entries.length}`);
  const [name, raw] = entries[0]!;
  if (!NAME.test(name))
    throw new ConfigError(`invalid discovery file ${file}:\n  at mcpServers.${name}: letters, digits, "_", "." and "-", starting with a letter or digit`);
  if (typeof raw !== 'object' || raw === null) throw new ConfigError(`invalid discovery file ${file}:\n  at mcpServers.${name}: expected an object`);
  const upstream = checkUpstream(file, 'mcpServers', name, raw as Record<string, unknown>);
  if ('command' in upstream && upstream.cwd !== undefined) upstream.cwd = resolve(dir, upstream.cwd);
  return [name, upstream];
}

interface RegistryArgument {
  type?: string;
  name?: string;
  value?: string;
  default?: string;
}
interface RegistryPackage {
  registryType?: string;
  identifier?: string;
  version?: string;
  runtimeHint?: string;
  transport?: { type?: string };
  runtimeArguments?: RegistryArgument[];
  packageArguments?: RegistryArgument[];
  environmentVariables?: Array<{ name?: string; value?: string; default?: string }>;
}

/** A folder's registry `server.json`: its first package started over stdio, else its first remote. */
async function fromServerJson(folder: string): Promise<Upstream | undefined> {
  const file = join(folder, 'server.json');
  const json = await readJson(file);
  if (json === undefined) return undefined;
  const packages = (Array.isArray(json.packages) ? json.packages : []) as RegistryPackage[];
  const pkg = packages.find((p) => (p.transport?.type ?? 'stdio') === 'stdio' && (p.runtimeHint !== undefined || RUNNERS[p.registryType ?? ''] !== undefined));
  if (pkg?.identifier !== undefined) {
    const command = pkg.runtimeHint ?? RUNNERS[pkg.registryType ?? '']!;
    const env: Record<string, string> = {};
    const passed: string[] = [];
    for (const v of pkg.environmentVariables ?? []) {
      if (v.name === undefined) continue;
      const value = v.value ?? v.default;
      if (value === undefined) passed.push(v.name);
      else env[v.name] = value;
    }
    const args = [...argsOf(pkg.runtimeArguments), ...launch(command, pkg), ...argsOf(pkg.packageArguments)];
    return checkUpstream(file, 'packages', basename(folder), { command, args, env, ...(passed.length > 0 ? { inheritEnv: passed } : {}) });
  }
  const remotes = (Array.isArray(json.remotes) ? json.remotes : []) as Array<{ type?: string; url?: string }>;
  const remote = remotes.find((r) => typeof r.url === 'string');
  if (remote !== undefined) return checkUpstream(file, 'remotes', basename(folder), { url: remote.url, ...(remote.type === 'sse' ? { type: 'sse' } : {}) });
  throw new ConfigError(`invalid discovery file ${file}:\n  at packages: expected a package started over stdio (npm, pypi or oci) or a remote with a url`);
}

/** The words that name the package to its runner. */
function launch(command: string, pkg: RegistryPackage): string[] {
  const id = pkg.identifier!;
  const v = pkg.version;
  if (command === 'npx') return ['-y', v === undefined ? id : `${id}@${v}`];
  if (command === 'uvx') return [v === undefined ? id : `${id}==${v}`];
  if (command === 'docker') return ['run', '-i', '--rm', v === undefined ? id : `${id}:${v}`];
  return [id];
}

/** Registry arguments with a value: positional ones as it, named ones as `--name value` (or the name alone). */
function argsOf(args: RegistryArgument[] | undefined): string[] {
  const out: string[] = [];
  for (const a of args ?? []) {
    const value = a.value ?? a.default;
    if (a.type === 'named' && a.name !== undefined) out.push(...(value === undefined ? [a.name] : [a.name, value]));
    else if (value !== undefined) out.push(value);
  }
  return out;
}

/** A folder's `package.json` whose `bin` (the one named after the package, else the first) or `main` starts a server, run with this Node. */
async function fromPackageJson(folder: string): Promise<Upstream | undefined> {
  const file = join(folder, 'package.json');
  const json = await readJson(file);
  if (json === undefined) return undefined;
  const bare = typeof json.name === 'string' ? json.name.replace(/^@[^/]+\//, '') : undefined;
  let entry: unknown;
  if (typeof json.bin === 'string') entry = json.bin;
  else if (typeof json.bin === 'object' && json.bin !== null) {
    const bins = json.bin as Record<string, unknown>;
    entry = (bare !== undefined ? bins[bare] : undefined) ?? Object.values(bins)[0];
  }
  if (typeof entry !== 'string') entry = json.main;
  if (typeof entry !== 'string') return undefined;
  return checkUpstream(file, 'bin', basename(folder), { command: process.execPath, args: [resolve(folder, entry)], cwd: folder });
}
