import { basename, dirname } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '@mcproxy/core';
import { explainParseError } from './args-errors.js';
import { readEnvFlags, type EnvFlags } from './env-flags.js';

/** What the proxy serves to clients in the quick forms. */
export type ServedTransport = 'stdio' | 'http' | 'sse';

export interface CliArgs {
  config?: string | undefined;
  stdio?: string | undefined;
  /** An upstream URL given bare (`mcproxy <url>`), as FastMCP's proxy takes it. */
  url?: string | undefined;
  example: boolean;
  port?: number | undefined;
  /** `--admin-port`: serve the admin listener (health, metrics, dashboard) on this port. */
  adminPort?: number | undefined;
  /** `--store`: the shared store's URL (redis://…), making this process one of several replicas. */
  store?: string | undefined;
  host?: string | undefined;
  path?: string | undefined;
  headers: Record<string, string>;
  /** `--transport`: what to serve (default stdio for a URL, http for a command). */
  transport?: ServedTransport | undefined;
  /** `--transport-type`: the upstream URL's transport, when it should not be found out. */
  transportType?: 'streamable-http' | 'sse' | undefined;
  /** `--name`: the served server's name and the upstream's. */
  name?: string | undefined;
  logLevel: string;
  /** `--log-format`; unset means pretty on a terminal, JSON otherwise. */
  logFormat?: 'pretty' | 'json' | undefined;
  help: boolean;
  version: boolean;
  /** The command after `--`, for the quick form. */
  command: string[];
  /** `--watch`: reload when the pipeline file (or the discovery folder) changes. */
  watch: boolean;
  /** `--discover <dir>`: every entry of the folder is an upstream. */
  discover?: string | undefined;
  /** `--discover-as`: discovered servers aggregated on one endpoint (default) or each on its own route. */
  discoverAs?: 'aggregate' | 'routes' | undefined;
  /** `--env NAME[=VALUE]`: variables passed to, or set for, every server mcproxy starts. */
  env: EnvFlags;
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
const SERVED: Record<string, ServedTransport> = { stdio: 'stdio', http: 'http', 'streamable-http': 'http', sse: 'sse' };
const UPSTREAM: Record<string, 'streamable-http' | 'sse'> = {
  http: 'streamable-http',
  'streamable-http': 'streamable-http',
  streamablehttp: 'streamable-http',
  sse: 'sse',
};
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export const USAGE = `Usage:
  mcproxy --config <pipeline.yaml>           serve what a pipeline file says
  mcproxy [--port N] [--host H] -- <command> [args...]
                                             serve a stdio server over streamable HTTP (it gets your environment)
  mcproxy <url> [--transport stdio|http|sse] [--port N] [--name NAME]
                                             serve a server at a URL (on stdio unless --transport says otherwise)
  mcproxy --stdio <url> [--header "K: V"]    the same on stdin/stdout, the older spelling
  mcproxy --example [--port N]               serve the built-in example server over HTTP
  mcproxy --discover <dir> [--discover-as aggregate|routes] [--port N]
                                             serve every server found in a folder

Options:
  -c, --config <file>       pipeline file (YAML or JSON)
      --stdio <url>         upstream URL to serve on stdio
  -t, --transport <t>       what to serve: stdio, http (streamable HTTP) or sse (legacy HTTP+SSE)
      --transport-type <t>  the upstream URL's transport: http or sse (default: found out)
      --header <"K: V">     header for an upstream URL (repeatable; values never logged)
  -n, --name <name>         the name the proxy serves under, and the upstream's name
  -p, --port <n>            HTTP port (default 8080; 0 picks a free one)
      --host <host>         HTTP host (default 127.0.0.1)
      --path <path>         HTTP path (default /mcp, or /sse for --transport sse)
      --admin-port <n>      serve health, readiness, /metrics and the dashboard on 127.0.0.1:<n>
      --store <url>         keep sessions in a shared Redis or Valkey (redis://host:6379/0), to run several replicas
  -e, --env <NAME[=VALUE]>  pass the variable NAME from your environment to the servers mcproxy starts,
                            or set it to VALUE (repeatable; a command after "--" already gets all of it)
      --example             run the built-in example server behind the proxy
      --discover <dir>      make each entry of a folder an upstream (server.json, package.json, *.mcp.json)
      --discover-as <how>   aggregate (default: one endpoint) or routes (one endpoint /<name> each)
  -w, --watch               reload when the pipeline file or the discovery folder changes (SIGHUP always reloads)
  -l, --log-level <lvl>     ${LEVELS.join(', ')} (default info); logs go to stderr
      --log-format <f>      pretty or json (default: pretty on a terminal, else json)
  -h, --help                this text
  -v, --version             the version
`;

/** Every flag; an unknown one is compared with these names to guess what was meant. */
const OPTIONS = {
  config: { type: 'string', short: 'c' },
  stdio: { type: 'string' },
  transport: { type: 'string', short: 't' },
  'transport-type': { type: 'string' },
  header: { type: 'string', multiple: true },
  env: { type: 'string', short: 'e', multiple: true },
  name: { type: 'string', short: 'n' },
  example: { type: 'boolean', default: false },
  watch: { type: 'boolean', short: 'w', default: false },
  discover: { type: 'string' },
  'discover-as': { type: 'string' },
  port: { type: 'string', short: 'p' },
  'admin-port': { type: 'string' },
  store: { type: 'string' },
  host: { type: 'string' },
  path: { type: 'string' },
  'log-level': { type: 'string', short: 'l', default: 'info' },
  'log-format': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', short: 'v', default: false },
} satisfies ParseArgsConfig['options'];

/** Throws a `ConfigError` naming a flag, the values it takes and what it got. */
function oneOf<T>(flag: string, table: Record<string, T>, value: string | undefined): T | undefined {
  if (value === undefined) return undefined;
  const hit = table[value];
  if (hit === undefined) throw new ConfigError(`${flag} must be one of ${Object.keys(table).join(', ')}; got "${value}"`);
  return hit;
}

/** An upstream URL given on the command line: http or https, said plainly otherwise. */
function checkUrl(what: string, value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    throw new ConfigError(`${what} must be an http:// or https:// URL; got "${value.slice(0, 200)}"`);
  }
  return value;
}

/** Reads the command line; a mistake is a `ConfigError` that says what was expected. */
export function readArgs(argv: string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      tokens: true,
      options: OPTIONS,
    });
  } catch (err) {
    throw explainParseError(err, Object.keys(OPTIONS));
  }
  const v = parsed.values;
  const logLevel = v['log-level'] ?? 'info';
  if (!LEVELS.includes(logLevel)) throw new ConfigError(`--log-level must be one of ${LEVELS.join(', ')}; got "${logLevel}"`);
  const logFormat = oneOf('--log-format', { pretty: 'pretty', json: 'json' } as const, v['log-format']);
  let port: number | undefined;
  if (v.port !== undefined) {
    port = Number(v.port);
    if (!/^\d+$/.test(v.port) || port > 65535) throw new ConfigError(`--port must be a whole number from 0 to 65535; got "${v.port}"`);
  }
  const adminPort = v['admin-port'] === undefined ? undefined : Number(v['admin-port']);
  if (adminPort !== undefined && (!/^\d+$/.test(v['admin-port']!) || adminPort > 65535))
    throw new ConfigError(`--admin-port must be a whole number from 0 to 65535; got "${v['admin-port']}"`);
  if (v.store !== undefined && !/^rediss?:\/\/\S+$/.test(v.store))
    throw new ConfigError(`--store must be a redis:// or rediss:// URL; got "${v.store.slice(0, 60)}"`);
  const headers: Record<string, string> = {};
  for (const h of v.header ?? []) {
    const i = h.indexOf(':');
    if (i <= 0) throw new ConfigError(`--header must look like "Name: value"; got "${h.slice(0, 40)}"`);
    headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  if (v.name !== undefined && !NAME.test(v.name)) {
    throw new ConfigError(`--name must be letters, digits, "_", "." and "-", starting with a letter or digit; got "${v.name}"`);
  }
  // One word before any "--" that looks like a URL is FastMCP's `mcproxy <url>`;
  // anything else is a server command, as it always was.
  const terminator = parsed.tokens.findIndex((t) => t.kind === 'option-terminator');
  const early = parsed.tokens.filter((t, i) => t.kind === 'positional' && (terminator < 0 || i < terminator));
  let url: string | undefined;
  let command = parsed.positionals;
  if (early.length === 1 && /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(parsed.positionals[0] ?? '')) {
    url = checkUrl('the upstream URL', parsed.positionals[0]!);
    command = parsed.positionals.slice(1);
  }
  if (v.stdio !== undefined) checkUrl('--stdio', v.stdio);
  const chosen = [v.config !== undefined, v.stdio !== undefined, url !== undefined, v.example, command.length > 0].filter(Boolean).length;
  if (chosen > 1) throw new ConfigError('choose one of --config, --stdio <url>, an upstream <url>, --example, or a command after "--"');
  if (v.discover !== undefined && chosen > 0 && v.config === undefined) throw new ConfigError('--discover goes alone or with --config');
  const discoverAs = oneOf('--discover-as', { aggregate: 'aggregate', routes: 'routes' } as const, v['discover-as']);
  if (discoverAs !== undefined && v.discover === undefined) throw new ConfigError('--discover-as applies to --discover <dir>');

  const transport = oneOf('--transport', SERVED, v.transport);
  const transportType = oneOf('--transport-type', UPSTREAM, v['transport-type']);
  const upstreamUrl = url ?? v.stdio;
  if (transport !== undefined && v.config !== undefined)
    throw new ConfigError("--transport does not apply to --config: the file's serve: section says what is served");
  if (transport !== undefined && transport !== 'stdio' && v.stdio !== undefined) {
    throw new ConfigError(`--stdio serves on stdio, so --transport ${transport} contradicts it: write mcproxy --transport ${transport} <url>`);
  }
  if (upstreamUrl === undefined && transportType !== undefined)
    throw new ConfigError('--transport-type applies to an upstream URL (mcproxy <url> or --stdio <url>)');
  if (upstreamUrl === undefined && v.header !== undefined) throw new ConfigError('--header applies to an upstream URL (mcproxy <url> or --stdio <url>)');
  const env = readEnvFlags(v.env ?? []);
  if (v.env !== undefined && upstreamUrl !== undefined) throw new ConfigError('--env applies to servers mcproxy starts, and a URL names one that runs already');
  if (url !== undefined && (transport ?? 'stdio') === 'stdio' && (port !== undefined || v.host !== undefined || v.path !== undefined)) {
    throw new ConfigError('--port, --host and --path are for HTTP, and a URL is served on stdio unless you say otherwise: add --transport http (or sse)');
  }
  return {
    config: v.config,
    stdio: v.stdio,
    url,
    example: v.example ?? false,
    port,
    adminPort,
    store: v.store,
    host: v.host,
    path: v.path,
    headers,
    transport,
    transportType,
    name: v.name,
    logLevel,
    logFormat,
    help: v.help ?? false,
    version: v.version ?? false,
    command,
    watch: v.watch ?? false,
    discover: v.discover,
    discoverAs,
    env,
  };
}

const LAUNCHERS = new Set(['npx', 'node', 'uvx', 'python', 'python3', 'bunx', 'deno', 'pnpm', 'docker', 'dlx', 'exec', 'run', 'x']);
/** File names that say nothing of the server they start: the folder or package around them does. */
const GENERIC = new Set(['index', 'main', 'cli', 'server', 'bin', 'dist', 'build', 'lib', 'src', 'out']);

/**
 * A readable upstream name for a server command: the server, not the launcher
 * or its entry file. `npx -y @scope/server-foo@1.2.0` is `server-foo`,
 * `node ./node_modules/@scope/server-foo/dist/index.js` too, `uvx mcp-server-fetch`
 * is `mcp-server-fetch`.
 */
export function upstreamNameFor(command: readonly string[]): string {
  const words = command.filter((w) => !w.startsWith('-') && !w.includes('='));
  let target = words.find((w) => !LAUNCHERS.has(basename(w))) ?? words[0] ?? 'server';
  // A package spec: drop its version; a scoped one keeps only the part after the scope.
  target = target.replace(/(.)@[^/@]*$/, '$1');
  let path = target.replace(/\.(m?js|cjs|ts|py)$/, '');
  while (GENERIC.has(basename(path)) && dirname(path) !== path && dirname(path) !== '.') path = dirname(path);
  const name = basename(path)
    .replace(/^@[^/]+\//, '')
    .replace(/[^A-Za-z0-9_.-]/g, '-');
  return /^[A-Za-z0-9]/.test(name) ? name : `server${name}`;
}
