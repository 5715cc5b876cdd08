#!/usr/bin/env node
// Serves the conformance fixture over stdio or Streamable HTTP.
//   fixture-server --stdio
//   fixture-server --http [--port N] [--host 127.0.0.1] [--path /mcp]
// In HTTP mode stdout carries exactly one line, {"url": "..."}, once listening,
// so a parent process can discover the port; in stdio mode stdout is the MCP
// channel. Either way diagnostics go to stderr only.
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { startFixtureHttpServer } from './fixture/http-server.js';
import { createFixtureServer } from './fixture/server.js';

const log = (message: string): void => {
  process.stderr.write(`[fixture] ${message}\n`);
};

const USAGE = 'usage: fixture-server (--stdio | --http [--port N] [--host H] [--path P])';

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

async function serveStdio(): Promise<void> {
  const server = createFixtureServer();
  const transport = new StdioServerTransport();
  const shutdown = async () => {
    await server.close();
  };
  onShutdownSignal(shutdown);
  // The stdio transport does not notice its peer going away; when the client
  // closes our stdin there is nobody left to serve.
  process.stdin.once('end', () => {
    log('stdin closed, exiting');
    void shutdown().finally(() => process.exit(0));
  });
  await server.connect(transport);
  log('serving over stdio');
}

async function serveHttp(values: { port?: string; host?: string; path?: string }): Promise<void> {
  const port = Number(values.port ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port: ${values.port}`);
  const path = values.path ?? '/mcp';
  if (!path.startsWith('/')) throw new Error(`--path must start with '/': ${path}`);
  const server = await startFixtureHttpServer({ port, host: values.host ?? '127.0.0.1', path, log });
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
  if (values.stdio) await serveStdio();
  else await serveHttp(values);
}

main().catch((error: unknown) => {
  log(error instanceof Error ? error.message : String(error));
  process.exit(2);
});
