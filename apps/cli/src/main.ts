import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@mcproxy/core';
import { readArgs, upstreamNameFor, USAGE, type CliArgs, type ServedTransport } from './args/args.js';
import { checkPipeline, loadPipeline } from './config/load.js';
import type { Pipeline } from './config/schema.js';
import type { Logger } from 'pino';
import { createLog } from './log.js';
import { reloadTlsOnSighup } from './serve/sighup.js';
import { startPipeline } from './serve/start.js';
import { withAdminPort, withStore } from './serve/observability.js';
import { withDiscovered } from './config/discover.js';
import { withEnvFlags, type EnvFlags } from './args/env-flags.js';
import { preflight, RequiredUpstreamDown } from './serve/preflight.js';
import { StoreUnreachable } from './serve/replicas.js';
import { Reloader, watchForReload } from './serve/reloader.js';
import { CLI_VERSION } from './version.js';

const version = (): string => CLI_VERSION;

/** What a quick form serves: `--transport`, else what the form is for. */
function serveFor(args: CliArgs, fallback: ServedTransport): Record<string, unknown> {
  const transport = args.transport ?? fallback;
  if (transport === 'stdio') return { stdio: true };
  const where = { port: args.port ?? 8080, ...(args.host ? { host: args.host } : {}), ...(args.path ? { path: args.path } : {}) };
  return transport === 'http' ? { http: where } : { sse: where };
}

/** A pipeline typed on the command line: its mistakes are the command line's, not a file's. */
function fromCommandLine(raw: Record<string, unknown>): Pipeline {
  try {
    return { ...checkPipeline(raw, 'command line', false), origin: 'command line' };
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(err.message.replace('invalid pipeline file command line:', 'invalid command line:'));
    throw err;
  }
}

async function pipelineFrom(args: CliArgs): Promise<Pipeline> {
  if (args.config !== undefined) {
    const p = await loadPipeline(args.config);
    if (args.discover !== undefined) p.discover = { dir: resolve(args.discover), as: args.discoverAs ?? p.discover?.as ?? 'aggregate' };
    if (p.serve.http && (args.port !== undefined || args.host || args.path)) {
      const http = { ...(args.host ? { host: args.host } : {}), ...(args.path ? { path: args.path } : {}) };
      p.serve.http = { ...p.serve.http, ...http, port: args.port ?? p.serve.http.port };
    }
    return p;
  }
  const url = args.url ?? args.stdio;
  if (url !== undefined) {
    const upstream = { url, headers: args.headers, ...(args.transportType ? { transport: args.transportType } : {}) };
    return fromCommandLine({ serve: serveFor(args, 'stdio'), upstreams: { [args.name ?? 'remote']: upstream } });
  }
  if (args.discover !== undefined) {
    return fromCommandLine({ serve: serveFor(args, 'http'), discover: { dir: args.discover, as: args.discoverAs ?? 'aggregate' } });
  }
  if (args.example) {
    const server = fileURLToPath(new URL('./example/main.js', import.meta.url));
    return fromCommandLine({ serve: serveFor(args, 'http'), upstreams: { [args.name ?? 'example']: { command: process.execPath, args: [server] } } });
  }
  if (args.command.length > 0) {
    const [command, ...rest] = args.command as [string, ...string[]];
    // The quick form runs a command of the user's own shell, so it gets that shell's environment, as `env` or `exec` would give it.
    const upstream = { command, args: rest, inheritEnv: 'all' };
    return fromCommandLine({ serve: serveFor(args, 'http'), upstreams: { [args.name ?? upstreamNameFor(args.command)]: upstream } });
  }
  throw new ConfigError('nothing to proxy: give an upstream <url>, --config <file>, --example, or a server command after "--"');
}

/** The reason the proxy could not start, in words, with a hint where one helps. */
function whyNotStarted(err: unknown, args: CliArgs): string {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  const where =
    e.address !== undefined && e.port !== undefined ? `${e.address.includes(':') ? `[${e.address}]` : e.address}:${e.port}` : 'the address asked for';
  const portFlag = args.config === undefined ? '--port <n>' : '--port <n> (or serve.http.port in the file)';
  if (e.code === 'EADDRINUSE') {
    return (
      `could not start: ${where} is already in use by another program.\n` +
      `hint: choose another port with ${portFlag}, or use --port 0 (port: 0 in a pipeline file) to take any free one; the URL is logged.`
    );
  }
  if (e.code === 'EACCES')
    return `could not start: not allowed to listen on ${where}.\nhint: ports below 1024 need privileges; choose another with ${portFlag}.`;
  if (e.code === 'EADDRNOTAVAIL')
    return `could not start: ${where} is not an address of this machine.\nhint: choose another with --host <host> (127.0.0.1 for this machine only).`;
  return `could not start: ${err instanceof Error ? err.message : String(err)}`;
}

/**
 * Where to connect is the one thing a person must see, so its line is
 * written even when --log-level hides info (but not when it is silent).
 */
function announce(log: Logger, level: string, url: string | undefined): void {
  if (url === undefined || level === 'silent' || log.isLevelEnabled('info')) return;
  log.child({}, { level: 'info' }).info({ url }, 'proxy ready');
}

/** What happens to a checked pipeline before it is served (at startup and on reload): discovery, ignored keys, preflight. */
async function prepare(pipeline: Pipeline, log: Logger, env: EnvFlags): Promise<{ pipeline: Pipeline; states: () => void }> {
  const found = withEnvFlags(await withDiscovered(pipeline, log), env);
  if (found.ignored.length > 0) log.debug({ ignored: found.ignored }, 'accepted and ignored (keys desktop hosts write, disabled servers)');
  return { pipeline: found, states: await preflight(found, log) };
}

/**
 * The whole CLI: returns the exit code (0 after a clean shutdown, 2 for a
 * bad command line or pipeline file, 1 when the proxy could not start).
 */
export async function main(argv: string[]): Promise<number> {
  let args: CliArgs;
  let pipeline: Pipeline;
  try {
    args = readArgs(argv);
    // Help and version go to stdout like any CLI's: no MCP is flowing yet.
    if (args.help) {
      process.stdout.write(USAGE); // lint-allow: before any MCP flows
      return 0;
    }
    if (args.version) {
      process.stdout.write(`${version()}\n`); // lint-allow: before any MCP flows
      return 0;
    }
    pipeline = withStore(withAdminPort(await pipelineFrom(args), args.adminPort), args.store);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`mcproxy: ${err.message}\n${err.message.includes('Usage') ? '' : 'Run mcproxy --help for usage.\n'}`);
    return 2;
  }
  const log = createLog(args.logLevel, { format: args.logFormat });
  // SIGHUP would end the process while it starts: the file is being read anyway.
  const early = (): void => log.warn({}, 'SIGHUP while starting: ignored, the file is being read now');
  process.on('SIGHUP', early);
  let running;
  try {
    const prepared = await prepare(pipeline, log, args.env);
    pipeline = prepared.pipeline;
    running = await startPipeline(pipeline, log, { name: args.name, beforeReady: prepared.states });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`mcproxy: ${err.message}\n`);
      return 2;
    }
    if (err instanceof RequiredUpstreamDown) {
      process.stderr.write(`mcproxy: could not start: ${err.message}\n`);
      return 1;
    }
    if (err instanceof StoreUnreachable) {
      process.stderr.write(`mcproxy: could not start: ${err.message}\n`);
      return 2;
    }
    // A person reads this: one plain sentence and what to do; the stack is for --log-level debug.
    log.debug({ err }, 'could not start');
    process.stderr.write(`mcproxy: ${whyNotStarted(err, args)}\n`);
    return 1;
  }
  announce(log, args.logLevel, running.url ?? running.sseUrl);
  // Certificates are read again on SIGHUP too (beside the pipeline reload below).
  reloadTlsOnSighup(running, log);
  let stoppingSince = 0;
  let exitCode = 0;
  const stop = new Promise<string>((resolve) => {
    // Every edge is guarded, so these mean a bug. A rejected promise leaves no state
    // half-changed: it is logged and the proxy goes on. A thrown exception may have:
    // the proxy answers what is in flight, closes cleanly and exits 70, for a
    // supervisor to start a fresh one.
    process.on('unhandledRejection', (reason) => {
      log.error({ err: reason }, 'a promise failed and nothing handled it; the proxy goes on (please report this)');
    });
    process.on('uncaughtException', (err) => {
      log.fatal({ err }, 'unexpected exception: closing cleanly and exiting with code 70 (please report this)');
      if (stoppingSince !== 0) process.exit(70);
      stoppingSince = Date.now();
      exitCode = 70;
      resolve('unexpected exception');
    });
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      // Ctrl-C reaches a whole process group (npm, our launcher, us), so one
      // key press can arrive twice within moments: the first signal starts a
      // clean shutdown, one a second or more later hurries it (process.exit
      // still runs the hook that kills child processes).
      process.on(signal, () => {
        if (stoppingSince === 0) {
          stoppingSince = Date.now();
          return resolve(signal);
        }
        if (Date.now() - stoppingSince < 1000) return;
        log.warn({ signal }, 'second signal: exiting now');
        process.exit(130);
      });
    }
    void running.ended.then(() => resolve('client disconnected'));
  });
  // Every reload goes through here: SIGHUP, --watch, and whatever else learns to reload (certificates).
  const reloader = new Reloader(log, async () => {
    const next = await prepare(withStore(withAdminPort(await pipelineFrom(args), args.adminPort), args.store), log, args.env);
    next.states();
    return running.reload(next.pipeline);
  });
  process.off('SIGHUP', early);
  process.on('SIGHUP', () => reloader.trigger('SIGHUP'));
  const watching = args.watch ? watchForReload(reloader, [args.config, pipeline.discover?.dir], log) : undefined;
  const why = await stop;
  watching?.close();
  stoppingSince ||= Date.now();
  log.info({ why }, 'shutting down');
  // A replica hands its sessions to the others first (SIGTERM is how orchestrators stop one).
  if (why === 'SIGTERM' && running.drain !== undefined) await running.drain();
  await running.close();
  return exitCode;
}
