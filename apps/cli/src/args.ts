import { parseArgs } from 'node:util';
import { ConfigError } from '@mcproxy/core';

export interface CliArgs {
  config?: string | undefined;
  stdio?: string | undefined;
  example: boolean;
  port?: number | undefined;
  host?: string | undefined;
  path?: string | undefined;
  headers: Record<string, string>;
  logLevel: string;
  help: boolean;
  version: boolean;
  /** The command after `--`, for the quick form. */
  command: string[];
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export const USAGE = `Usage:
  mcproxy --config <pipeline.yaml>           serve what a pipeline file says
  mcproxy [--port N] [--host H] -- <command> [args...]
                                             serve a stdio server over streamable HTTP
  mcproxy --stdio <url> [--header "K: V"]    serve a server at a URL (streamable HTTP or SSE) on stdin/stdout
  mcproxy --example [--port N]               serve the built-in example server over HTTP

Options:
  -c, --config <file>     pipeline file (YAML or JSON)
      --stdio <url>       upstream URL to serve on stdio
      --header <"K: V">   header for the --stdio upstream (repeatable; values never logged)
  -p, --port <n>          HTTP port (default 8080; 0 picks a free one)
      --host <host>       HTTP host (default 127.0.0.1)
      --path <path>       HTTP path (default /mcp)
      --example           run the built-in example server behind the proxy
  -l, --log-level <lvl>   ${LEVELS.join(', ')} (default info); logs go to stderr
  -h, --help              this text
  -v, --version           the version
`;

/** Reads the command line; a mistake is a `ConfigError` that says what was expected. */
export function readArgs(argv: string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        stdio: { type: 'string' },
        header: { type: 'string', multiple: true },
        example: { type: 'boolean', default: false },
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        path: { type: 'string' },
        'log-level': { type: 'string', short: 'l', default: 'info' },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
  } catch (err) {
    throw new ConfigError(`${err instanceof Error ? err.message : String(err)}\n(put the server command after "--": mcproxy --port 8080 -- npx some-server)`);
  }
  const v = parsed.values;
  const logLevel = v['log-level'] ?? 'info';
  if (!LEVELS.includes(logLevel)) throw new ConfigError(`--log-level must be one of ${LEVELS.join(', ')}; got "${logLevel}"`);
  let port: number | undefined;
  if (v.port !== undefined) {
    port = Number(v.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port must be a whole number from 0 to 65535; got "${v.port}"`);
  }
  const headers: Record<string, string> = {};
  for (const h of v.header ?? []) {
    const i = h.indexOf(':');
    if (i <= 0) throw new ConfigError(`--header must look like "Name: value"; got "${h.slice(0, 40)}"`);
    headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  const chosen = [v.config !== undefined, v.stdio !== undefined, v.example, parsed.positionals.length > 0].filter(Boolean).length;
  if (chosen > 1) throw new ConfigError('choose one of --config, --stdio <url>, --example, or a command after "--"');
  return {
    config: v.config, stdio: v.stdio, example: v.example ?? false, port, host: v.host, path: v.path, headers,
    logLevel, help: v.help ?? false, version: v.version ?? false, command: parsed.positionals,
  };
}
