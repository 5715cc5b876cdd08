import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostHeaderValidation, originValidation, toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, type McpHttpHandler } from '@modelcontextprotocol/server';
import { legacySessions } from './legacy-sessions.js';
import { createFixtureStateCodec, createModernFixtureServer } from './server.js';

export interface ModernFixtureHttpOptions {
  port?: number;
  host?: string;
  path?: string;
  /** `modern`: refuse 2025-era clients, as a server that speaks only 2026-07-28 does; `legacy`: only 2025-era sessions (default `both`). */
  era?: string;
  log?: (message: string) => void;
}

export interface ModernFixtureHttpServer {
  url: string;
  /** The SDK handler, for tests that publish list changes onto open listen streams. */
  handler: McpHttpHandler;
  close(): Promise<void>;
}

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]'];

/** The hostname part of a bind address as a Host header would carry it. */
function asHostname(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * Serves the modern fixture over Streamable HTTP at `path`: 2026-07-28
 * requests (each served by a fresh instance, as the revision is stateless)
 * and, through the SDK's stateless legacy path, 2025-11-25 clients. Host and
 * Origin are checked first (DNS rebinding: 403 for anything but loopback or
 * the bound name); any other path is 404.
 *
 * @example
 * const fixture = await startModernFixtureHttpServer({ port: 0 });
 * // POST fixture.url ... ; then
 * await fixture.close();
 */
export async function startModernFixtureHttpServer(options: ModernFixtureHttpOptions = {}): Promise<ModernFixtureHttpServer> {
  const host = options.host ?? '127.0.0.1';
  const path = options.path ?? '/mcp';
  const log = options.log ?? (() => undefined);
  const allowed = [...new Set([...LOOPBACK, asHostname(host)])];
  const hostAllowed = hostHeaderValidation(allowed);
  const originAllowed = originValidation(allowed);

  const codec = createFixtureStateCodec();
  const handler: McpHttpHandler = createMcpHandler(() => createModernFixtureServer({ codec, announce: handler.notify }), {
    onerror: (error) => log(`handler: ${error.message}`),
    ...(options.era === 'modern' ? { legacy: 'reject' as const } : {}),
  });
  const legacy = options.era === 'legacy' ? legacySessions(log) : undefined;
  const serve = legacy?.serve ?? toNodeHandler(handler, { onerror: (error) => log(`adapter: ${error.message}`) });

  const server: HttpServer = createServer((req, res) => {
    if (!hostAllowed(req, res) || !originAllowed(req, res)) {
      log(`refused ${req.method ?? '?'} with Host ${req.headers.host ?? '-'} Origin ${req.headers.origin ?? '-'}`);
      return;
    }
    if (new URL(req.url ?? '/', 'http://fixture').pathname !== path) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
      return;
    }
    serve(req, res).catch((error: unknown) => {
      log(`request failed: ${String(error)}`);
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${asHostname(host)}:${port}${path}`;

  return {
    url,
    handler,
    async close() {
      // Listen streams stay open until told otherwise; end them, then the sockets.
      await handler.close();
      await legacy?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
