import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@mcproxy/core';
import { readArgs, USAGE, type CliArgs } from './args.js';
import { checkPipeline, loadPipeline } from './config/load.js';
import type { Pipeline } from './config/schema.js';
import { createLog } from './log.js';
import { startPipeline } from './start.js';
import { CLI_VERSION } from './version.js';

const version = (): string => CLI_VERSION;

const LAUNCHERS = new Set(['npx', 'node', 'uvx', 'python', 'python3', 'bunx', 'deno', 'pnpm', 'docker']);

/** A readable upstream name for the quick form: the server, not the launcher. */
function nameFor(command: string[]): string {
  const [cmd = 'server', ...rest] = command;
  const target = LAUNCHERS.has(basename(cmd)) ? rest.find((a) => !a.startsWith('-')) ?? cmd : cmd;
  const name = basename(target).replace(/\.(m?js|ts|py)$/, '').replace(/^@[^/]+\//, '').replace(/[^A-Za-z0-9_.-]/g, '-');
  return /^[A-Za-z0-9]/.test(name) ? name : `server${name}`;
}

async function pipelineFrom(args: CliArgs): Promise<Pipeline> {
  const http = { port: args.port ?? 8080, ...(args.host ? { host: args.host } : {}), ...(args.path ? { path: args.path } : {}) };
  if (args.config !== undefined) {
    const p = await loadPipeline(args.config);
    if (p.serve.http && (args.port !== undefined || args.host || args.path)) {
      p.serve.http = { ...p.serve.http, ...http, port: args.port ?? p.serve.http.port };
    }
    return p;
  }
  if (args.stdio !== undefined) {
    return checkPipeline({ serve: { stdio: true }, upstreams: { remote: { url: args.stdio, headers: args.headers } } }, '--stdio', false);
  }
  if (args.example) {
    const server = fileURLToPath(new URL('./example/main.js', import.meta.url));
    return checkPipeline({ serve: { http }, upstreams: { example: { command: process.execPath, args: [server] } } }, '--example', false);
  }
  if (args.command.length > 0) {
    const [command, ...rest] = args.command as [string, ...string[]];
    return checkPipeline({ serve: { http }, upstreams: { [nameFor(args.command)]: { command, args: rest } } }, 'command line', false);
  }
  throw new ConfigError('nothing to proxy: give --config <file>, --stdio <url>, --example, or a server command after "--"');
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
    pipeline = await pipelineFrom(args);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`mcproxy: ${err.message}\n${err.message.includes('Usage') ? '' : 'Run mcproxy --help for usage.\n'}`);
    return 2;
  }
  const log = createLog(args.logLevel);
  let running;
  try {
    running = await startPipeline(pipeline, log);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`mcproxy: ${err.message}\n`);
      return 2;
    }
    log.fatal({ err }, 'could not start');
    return 1;
  }
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
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
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
  const why = await stop;
  stoppingSince ||= Date.now();
  log.info({ why }, 'shutting down');
  await running.close();
  return exitCode;
}
