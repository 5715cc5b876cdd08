// The command line both fixture servers share:
//   <name> --stdio [--aggregation] [--era E]
//   <name> --http [--port N] [--host 127.0.0.1] [--path /mcp] [--aggregation] [--era E]
// --aggregation adds what only an aggregating proxy must carry (tasks, resource links).
// In HTTP mode stdout carries exactly one line, {"url": "..."}, once listening,
// so a parent process can discover the port; in stdio mode stdout is the MCP
// channel. Either way diagnostics go to stderr only. A fixture that lists
// `eras` also takes --era (the first listed is the default).
import { parseArgs } from 'node:util';

/** What one fixture serves, each way. */
export interface FixtureCli {
  /** Its name in usage and in each stderr line. */
  name: string;
  /** The protocol eras it can be limited to with --era, default first; absent: no --era. */
  eras?: readonly string[];
  /** Serves one client on stdin/stdout; resolves to how to stop (stdin's end also stops it). */
  stdio(log: (message: string) => void, extras: Extras): Promise<() => Promise<void>>;
  /** Listens; resolves to its URL and how to stop. */
  http(options: { port: number; host: string; path: string; log: (message: string) => void } & Extras): Promise<{ url: string; close(): Promise<void> }>;
}

/** Optional parts of a fixture, off unless asked for. */
export interface Extras {
  /** Tasks and resource links, for tests of aggregation. */
  aggregation?: boolean;
  /** The era it is limited to (one of `FixtureCli.eras`; the first when not asked). */
  era?: string;
}

/** Parses the arguments, serves as they say, and exits 0 on SIGINT/SIGTERM or end of stdin (2 on a bad argument). */
export function runFixtureCli(fixture: FixtureCli): void {
  const log = (message: string): void => {
    process.stderr.write(`[${fixture.name}] ${message}\n`);
  };
  const eras = fixture.eras ?? [];
  const usage = `usage: ${fixture.name} (--stdio | --http [--port N] [--host H] [--path P]) [--aggregation]${eras.length > 0 ? ` [--era ${eras.join('|')}]` : ''}`;

  const onShutdownSignal = (shutdown: () => Promise<void>): void => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log(`${signal} received, shutting down`);
      shutdown().then(
        () => process.exit(0),
        (error: unknown) => {
          log(`shutdown failed: ${String(error)}`);
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  };

  const main = async (): Promise<void> => {
    const { values } = parseArgs({
      options: {
        stdio: { type: 'boolean' },
        http: { type: 'boolean' },
        port: { type: 'string' },
        host: { type: 'string' },
        path: { type: 'string' },
        aggregation: { type: 'boolean' },
        era: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
    if (values.help) {
      process.stderr.write(`${usage}\n`);
      return;
    }
    if (values.stdio === values.http) throw new Error(`choose exactly one of --stdio or --http\n${usage}`);
    const era = values.era ?? eras[0] ?? '';
    if (values.era !== undefined && !eras.includes(values.era)) throw new Error(`invalid --era: ${values.era}\n${usage}`);
    if (values.stdio) {
      const shutdown = await fixture.stdio(log, { aggregation: values.aggregation === true, era });
      onShutdownSignal(shutdown);
      // A stdio server does not notice its peer going away; when the client closes our stdin nobody is left to serve.
      process.stdin.once('end', () => {
        log('stdin closed, exiting');
        void shutdown().finally(() => process.exit(0));
      });
      log('serving over stdio');
      return;
    }
    const port = Number(values.port ?? '0');
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port: ${values.port}`);
    const path = values.path ?? '/mcp';
    if (!path.startsWith('/')) throw new Error(`--path must start with '/': ${path}`);
    const server = await fixture.http({ port, host: values.host ?? '127.0.0.1', path, log, aggregation: values.aggregation === true, era });
    onShutdownSignal(() => server.close());
    process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
    log(`listening on ${server.url}`);
  };

  main().catch((error: unknown) => {
    log(error instanceof Error ? error.message : String(error));
    process.exit(2);
  });
}
