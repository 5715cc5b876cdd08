#!/usr/bin/env node
// Serves the 2026-07-28 conformance fixture (built on the v2 MCP SDK) over
// stdio or Streamable HTTP; 2025-11-25 clients are served too.
//   modern-fixture-server --stdio
//   modern-fixture-server --http [--port N] [--host 127.0.0.1] [--path /mcp]
// In HTTP mode stdout carries exactly one line, {"url": "..."}, once listening;
// in stdio mode stdout is the MCP channel. Diagnostics go to stderr only.
import { parseArgs } from 'node:util';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { startModernFixtureHttpServer } from './modern-fixture/http-server.js';
import { createFixtureStateCodec, createModernFixtureServer } from './modern-fixture/server.js';

const log = (message: string): void => {
  process.stderr.write(`[modern-fixture] ${message}\n`);
};

const USAGE = 'usage: modern-fixture-server (--stdio | --http [--port N] [--host H] [--path P])';

function onShutdownSignal(shutdown: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: string) => {
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
}

function serveOverStdio(): void {
  const codec = createFixtureStateCodec();
  // serveStdio picks the era from the opening message and pins one instance.
  const handle = serveStdio(() => createModernFixtureServer({ codec }), { onerror: (error) => log(`stdio: ${error.message}`) });
  onShutdownSignal(() => handle.close());
  // Nobody is left to serve once the client closes our stdin.
  process.stdin.once('end', () => {
    log('stdin closed, exiting');
    void handle.close().finally(() => process.exit(0));
  });
  log('serving over stdio');
}

async function serveOverHttp(values: { port?: string; host?: string; path?: string }): Promise<void> {
  const port = Number(values.port ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port: ${values.port}`);
  const path = values.path ?? '/mcp';
  if (!path.startsWith('/')) throw new Error(`--path must start with '/': ${path}`);
  const server = await startModernFixtureHttpServer({ port, host: values.host ?? '127.0.0.1', path, log });
  onShutdownSignal(() => server.close());
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
  log(`listening on ${server.url}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stdio: { type: 'boolean' },
      http: { type: 'boolean' },
      port: { type: 'string' },
      host: { type: 'string' },
      path: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stderr.write(`${USAGE}\n`);
    return;
  }
  if (values.stdio === values.http) throw new Error(`choose exactly one of --stdio or --http\n${USAGE}`);
  if (values.stdio) serveOverStdio();
  else await serveOverHttp(values);
}

main().catch((error: unknown) => {
  log(error instanceof Error ? error.message : String(error));
  process.exit(2);
});
