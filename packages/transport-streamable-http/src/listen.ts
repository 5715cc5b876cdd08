import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bracketed } from './host-guard.js';

export interface ListenHttpOptions {
  /** Interface to listen on, e.g. `127.0.0.1`. */
  host: string;
  /** 0: the system picks a free port (`origin` says which). */
  port: number;
  /** How long `close()` lets unfinished responses run before cutting their connections. */
  graceMs: number;
}

/** A listening `http.Server` and its graceful stop. */
export interface HttpListener {
  server: Server;
  /** How clients reach it, with the real port: `http://127.0.0.1:41234` (a wildcard bind is reached on loopback). */
  origin: string;
  /**
   * Runs `drain` (end the sessions, so in-flight requests are answered),
   * then stops listening, lets responses still being written finish for up
   * to `graceMs`, and cuts every connection left. From the start, a
   * connection is dropped as soon as it goes idle. Later calls return the
   * first call's promise.
   */
  close(drain?: () => Promise<unknown>): Promise<void>;
}

/**
 * Starts a plain `node:http` server for `handle` and resolves once it
 * listens; rejects with the listen error (`EADDRINUSE`, …). The one way
 * every HTTP endpoint of the proxy (Streamable HTTP, the legacy SSE
 * transport) listens and stops, so none of them waits on idle keep-alive
 * sockets at shutdown.
 *
 * @example
 * const http = await listenHttp(handler, { host: '127.0.0.1', port: 0, graceMs: 2000 });
 * log.info({ url: `${http.origin}/mcp` }, 'listening');
 * process.once('SIGTERM', () => void http.close(() => sessions.closeAll()));
 */
export async function listenHttp(
  handle: (req: IncomingMessage, res: ServerResponse) => void, options: ListenHttpOptions,
): Promise<HttpListener> {
  let closing: Promise<void> | undefined;
  const server = createServer((req, res) => {
    // While closing, a connection whose last response just ended is idle:
    // drop it now rather than at the end of the grace period.
    res.once('close', () => closing !== undefined && setImmediate(() => server.closeIdleConnections()));
    handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    origin: `http://${urlHost(options.host)}:${(server.address() as AddressInfo).port}`,
    close(drain) {
      closing ??= (async () => {
        try {
          await drain?.();
        } finally {
          await stop(server, options.graceMs);
        }
      })();
      return closing;
    },
  };
}

/** How a client reaches the bind host: a wildcard bind is reached on loopback. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return bracketed(host);
}

/**
 * Stops listening, lets responses still being written finish for up to
 * `graceMs`, then cuts every connection left (idle keep-alive sockets
 * would otherwise hold `close` open indefinitely).
 */
function stop(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
