import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import type { Logger } from '@mcproxy/core';
import type { Feed } from './feed.js';
import type { Metrics } from './metrics.js';
import type { UpstreamBoard } from './upstreams.js';

/** The verdict the admin listener acts on. */
type AdminVerdict = { ok: true } | { ok: false; status: number; headers: Record<string, string>; message: string };

/** What the admin listener asks of authentication (an `HttpAuthenticator` of the faces fits). */
export interface AdminAuth {
  authenticate(headers: IncomingHttpHeaders): AdminVerdict | Promise<AdminVerdict>;
}

/** Paths answered without credentials: the probes a kubelet or load balancer sends. */
const PROBES = new Set(['/healthz', '/readyz']);

export interface AdminOptions {
  host: string;
  /** What /readyz tells besides readiness, without deciding it (the shared store's state: a replica whose store is down still serves 2026-07-28 requests). */
  told?: () => Record<string, unknown>;
  /** When given, every path but /healthz and /readyz needs a credential it accepts. */
  auth?: AdminAuth | undefined;
  port: number;
  metrics: Metrics;
  board: UpstreamBoard;
  feed: Feed;
  /** Why the proxy cannot serve yet (not listening), or undefined once it can. */
  serving: () => string | undefined;
  /** What the dashboard shows at the top. */
  about: Record<string, unknown>;
  log: Logger;
}

export interface AdminServer {
  /** `http://host:port` with the real port. */
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** A file the package's build writes into dist (scripts/build-dashboard.mjs), or `fallback` when it was not built. */
function built(name: string, fallback: string): Buffer {
  for (const candidate of [`./${name}`, `../dist/${name}`]) {
    try {
      return readFileSync(new URL(candidate, import.meta.url));
    } catch {}
  }
  return Buffer.from(fallback);
}

/** The dashboard page, built into one file with its style, script and icon inlined. */
const dashboardPage = (): Buffer =>
  built('dashboard.html', '<!doctype html><title>mcproxy</title><p>The dashboard was not built: run the build of @mcproxy/observability.</p>');

/** The dashboard's icon (SVG), for browsers and tools that ask for /favicon.ico. */
const favicon = (): Buffer => built('favicon.svg', '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>');

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;
/** A Host header naming loopback, with or without a port. */
const LOOPBACK_HOST = /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost)(:\d+)?$/i;

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
};

/**
 * The admin listener: its own host and port, never the MCP one, so probes,
 * metrics and the dashboard are not exposed with it by accident. Read-only
 * GETs; anything else is 405, any other path 404. With `auth`, everything
 * but the probes (/healthz, /readyz) needs a credential (401/403 else). A handler that throws
 * costs that request a 500, never the process.
 */
export async function serveAdmin(options: AdminOptions): Promise<AdminServer> {
  const { metrics, board, feed, log } = options;
  const page = dashboardPage();
  const icon = favicon();
  const serveIcon = (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, { 'content-type': 'image/svg+xml', 'cache-control': 'max-age=86400', 'x-content-type-options': 'nosniff' });
    res.end(icon);
  };
  const snapshot = async () => ({ about: options.about, upstreams: await board.list(), series: feed.series(Date.now(), 300), ready: readiness() });
  const readiness = (): string | undefined => options.serving() ?? board.notReady();
  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void> | void> = {
    '/healthz': (_req, res) => json(res, 200, { status: 'ok' }),
    '/readyz': (_req, res) => {
      const why = readiness();
      const told = options.told?.() ?? {};
      json(res, why === undefined ? 200 : 503, why === undefined ? { status: 'ready', ...told } : { status: 'not ready', reason: why, ...told });
    },
    '/health/servers': async (_req, res) => json(res, 200, { upstreams: await board.list() }),
    '/metrics': async (_req, res) => {
      const text = await metrics.text();
      res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' });
      res.end(text);
    },
    '/': (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
      res.end(page);
    },
    '/favicon.ico': serveIcon,
    '/favicon.svg': serveIcon,
    '/events': async (_req, res) => {
      if (!feed.watch(res, await snapshot())) json(res, 503, { error: 'too many dashboards are watching' });
    },
  };
  const loopback = LOOPBACK.test(options.host);
  const auth = options.auth;
  if (!loopback && auth === undefined)
    log.warn(
      { host: options.host },
      `the admin listener listens on ${options.host}, reachable beyond this machine: health, metrics and the dashboard (with payloads, when logging shows them) are readable by anyone who reaches its port`,
    );
  const server = createServer((req, res) => {
    // Bound to loopback, only loopback names may be asked for: a web page that rebinds its own
    // name to 127.0.0.1 (DNS rebinding) must not read the metrics or the live tail.
    if (loopback && !LOOPBACK_HOST.test(req.headers.host ?? '')) return json(res, 403, { error: 'this admin listener answers to loopback names only' });
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = routes[path];
    if (route === undefined) return json(res, 404, { error: 'not found' });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return json(res, 405, { error: 'method not allowed' });
    }
    Promise.resolve()
      .then(async () => {
        if (auth !== undefined && !PROBES.has(path)) {
          const outcome = await auth.authenticate(req.headers);
          if (!outcome.ok) {
            res.writeHead(outcome.status, { ...outcome.headers, 'content-type': 'application/json', 'cache-control': 'no-store' });
            return void res.end(JSON.stringify({ error: outcome.message }));
          }
        }
        await route(req, res);
      })
      .catch((err: unknown) => {
        log.warn({ err, path }, 'admin request failed');
        if (!res.headersSent) json(res, 500, { error: 'internal error' });
        else res.destroy();
      });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.maxConnections = 64;
  // The dashboard's feed: every second, the chart's two newest points (the one before was still counting at the last tick), the upstreams and readiness.
  const tick = setInterval(() => {
    if (!feed.watched) return;
    void board.list().then((upstreams) => feed.send('tick', { series: feed.series(Date.now(), 2), upstreams, ready: readiness() ?? null }));
  }, 1000);
  tick.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    server,
    async close() {
      clearInterval(tick);
      feed.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
