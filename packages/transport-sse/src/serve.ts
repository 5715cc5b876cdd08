import type { Server } from 'node:http';
import { ConfigError, LimitReporter, resolveLimits, silentLogger, type Proxy } from '@mcproxy/core';
import { HttpErrorCode, listenHttp, sendJsonRpcError, targetOf, type HttpAuthenticator, type TlsMaterial } from '@mcproxy/transport-streamable-http';
import { createSseHandler, type SseHandlerOptions } from './handler.js';

export interface ServeSseOptions extends SseHandlerOptions {
  /** Default 0: the system picks a free port (`url` says which). */
  port?: number;
  /** How long `close()` lets unfinished responses run before cutting their connections. Default 2000 ms. */
  closeGraceMs?: number;
  /** How often Node checks connections against `headersTimeoutMs` and the request timeout. Default: a quarter of `headersTimeoutMs`, at most 30 s. */
  timeoutCheckMs?: number;
  /** Who may use the endpoint: see `@mcproxy/auth`. Without it, anyone who reaches the port. */
  auth?: HttpAuthenticator | undefined;
  /** Serve HTTPS with this certificate (PEM); `ca` asks clients for certificates it signed. */
  tls?: TlsMaterial | undefined;
}

export interface SseServer {
  /** Where clients connect, with the real port: `http://127.0.0.1:41234/sse`. */
  url: string;
  server: Server;
  /** Ends every session (in-flight requests are answered on their streams), then the server. */
  close(): Promise<void>;
  /** HTTPS only: new connections get this certificate from now on. */
  reloadTls(tls: TlsMaterial): void;
}

/**
 * Serves a proxy over the legacy HTTP+SSE transport (MCP 2024-11-05) on its
 * own port: `createSseHandler` on a plain `http.Server`, with 404 for every
 * other path. Listens on loopback unless told otherwise and refuses
 * foreign `Host`/`Origin` headers. To serve Streamable HTTP on the same
 * port, mount `createSseHandler` instead.
 *
 * @example
 * const sse = await serveSse(proxy, { port: 8081, log });
 * log.info({ url: sse.url }, 'legacy SSE clients connect here');
 */
export async function serveSse(proxy: Proxy, options: ServeSseOptions = {}): Promise<SseServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`port must be an integer from 0 to 65535, not ${port}`);
  const closeGraceMs = options.closeGraceMs ?? 2000;
  if (!Number.isFinite(closeGraceMs) || closeGraceMs < 0)
    throw new ConfigError(`closeGraceMs must be a number of milliseconds (0 or more), not ${closeGraceMs}`);
  const log = (options.log ?? silentLogger).child({ transport: 'sse' });
  const ssePath = options.ssePath ?? '/sse';
  const limits = resolveLimits(options.limits);
  const limitReporter = options.limitReporter ?? new LimitReporter(log);
  const handler = createSseHandler(proxy, { ...options, host, limitReporter });
  const listener = await listenHttp(
    function serveLegacySse(req, res) {
      if (handler.handle(req, res)) return;
      if (targetOf(req.url) === undefined) return sendJsonRpcError(res, 400, HttpErrorCode.Refused, 'Bad Request: the request target is not a URL');
      sendJsonRpcError(res, 404, HttpErrorCode.Refused, `Not Found: the SSE endpoint is ${ssePath}`);
    },
    {
      host,
      port,
      graceMs: closeGraceMs,
      limits,
      limitReporter,
      log,
      timeoutCheckMs: options.timeoutCheckMs,
      tls: options.tls,
      auth: options.auth,
      cors: options.cors,
    },
  );
  const url = `${listener.origin}${ssePath}`;
  log.info({ url }, 'listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    server: listener.server,
    reloadTls: (tls) => listener.reloadTls(tls),
    close() {
      closing ??= (async () => {
        await listener.close(() => handler.close());
        log.info({ url }, 'closed');
      })();
      return closing;
    },
  };
}
