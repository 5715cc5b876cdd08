import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { LimitReporter, resolveLimits, silentLogger, type Limits, type Logger } from '@mcproxy/core';
import type { CorsOptions } from './cors.js';
import { createFront, type Front, type HttpAuthenticator } from './front.js';
import { maxStreamsOf, serveHttp2Beside, type H2Face, type Http2Option } from './h2-face.js';
import { bracketed } from './host-guard.js';
import { HttpErrorCode, sendJsonRpcError } from './replies.js';

export interface ListenHttpOptions {
  /** Interface to listen on, e.g. `127.0.0.1`. */
  host: string;
  /** 0: the system picks a free port (`origin` says which). */
  port: number;
  /** How long `close()` lets unfinished responses run before cutting their connections. */
  graceMs: number;
  /** `connections`, `headersTimeoutMs`, `bodyTimeoutMs`, `connectionIdleMs` are applied here. Default `resolveLimits()`. */
  limits?: Limits;
  /** Counts connections refused for `connections`. */
  limitReporter?: LimitReporter;
  /** Where a request that made a handler throw is logged. */
  log?: Logger;
  /** How often Node checks connections against the header and request timeouts. Default: a quarter of `headersTimeoutMs`, at most 30 s. */
  timeoutCheckMs?: number;
  /** Who may use the server's endpoints (see `@mcproxy/auth`): checked in front of every request. Without it, anyone who reaches the port. */
  auth?: HttpAuthenticator | undefined;
  /** Answer CORS preflights and mark answers for these browser origins. */
  cors?: CorsOptions | undefined;
  /** Checks every request passes first, resolving true when it answered. Default: `createFront` of `auth` and `cors`. */
  front?: Front | undefined;
  /** Serve HTTPS with this certificate and key (PEM); with `ca`, clients must present a certificate it signed. */
  tls?: TlsMaterial | undefined;
  /**
   * Serve HTTP/2 too, on the same port: with `tls` to clients that choose
   * it by ALPN (`h2`, beside `http/1.1`), without it to clients that open
   * with the HTTP/2 preface (h2c with prior knowledge). `maxConcurrentStreams`
   * bounds the streams of one connection (default 100). See `serveHttp2Beside`.
   */
  http2?: Http2Option | undefined;
}

/** A certificate, its key and optionally the CAs of client certificates, in PEM. */
export interface TlsMaterial {
  cert: string | Buffer;
  key: string | Buffer;
  ca?: string | Buffer | undefined;
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
  /** HTTPS only: new connections use this certificate and key from now on (what SIGHUP does); throws if they do not match. */
  reloadTls(tls: TlsMaterial): void;
}

/**
 * Starts a plain `node:http` server for `handle` and resolves once it
 * listens; rejects with the listen error (`EADDRINUSE`, …). The one way
 * every HTTP endpoint of the proxy (Streamable HTTP, the legacy SSE
 * transport) listens and stops, so none of them waits on idle keep-alive
 * sockets at shutdown, and every one of them has the same connection
 * limits and the same guard: a handler that throws costs one request (500,
 * or its socket when the headers are out), never the process. With
 * `http2`, HTTP/2 connections are served on the same port, through the
 * same guard, with the same limits per stream (`serveHttp2Beside`).
 *
 * @example
 * const http = await listenHttp(handler, { host: '127.0.0.1', port: 0, graceMs: 2000 });
 * log.info({ url: `${http.origin}/mcp` }, 'listening');
 * process.once('SIGTERM', () => void http.close(() => sessions.closeAll()));
 */
export async function listenHttp(handle: (req: IncomingMessage, res: ServerResponse) => void, options: ListenHttpOptions): Promise<HttpListener> {
  const limits = options.limits ?? resolveLimits();
  const log = options.log ?? silentLogger;
  const reporter = options.limitReporter ?? new LimitReporter(log);
  let closing: Promise<void> | undefined;
  // Every face is fronted alike; a refused request's body is dropped within a bound that grows with the face's own.
  const front = options.front ?? createFront({ auth: options.auth, cors: options.cors, maxBodyBytes: limits.clientMessageBytes, log });
  const serverOptions = {
    // Node checks the header and request timeouts only this often (30 s by default).
    connectionsCheckingInterval: options.timeoutCheckMs ?? Math.min(30_000, Math.max(250, Math.floor(limits.headersTimeoutMs / 4))),
  };
  const tls = options.tls;
  const http2 = options.http2 === undefined || options.http2 === false ? undefined : options.http2;
  const maxConcurrentStreams = http2 === undefined ? 0 : maxStreamsOf(http2);
  // Over TLS the client picks HTTP/2 by ALPN; HTTP/1.1 stays the answer for a client that offers nothing.
  const alpn = http2 === undefined ? {} : { ALPNProtocols: ['h2', 'http/1.1'] };
  const make = (listener: (req: IncomingMessage, res: ServerResponse) => void): Server =>
    tls === undefined
      ? createServer(serverOptions, listener)
      : (createTlsServer({ ...serverOptions, ...alpn, ...tlsOptions(tls) }, listener) as unknown as Server);
  // Made once for every request: a closure per request per listener is work the floor does not do.
  const requestFailed = (err: Error): void => log.debug({ err }, 'request stream failed');
  const responseFailed = (err: Error): void => log.debug({ err }, 'response stream failed');
  const closeIdle = (): void => void server.closeIdleConnections();
  const responseClosed = (): void => void (closing !== undefined && setImmediate(closeIdle));
  const guardedRequest = function guardedRequest(req: IncomingMessage, res: ServerResponse): void {
    // A client that goes away mid-request must cost that request, nothing more.
    req.on('error', requestFailed);
    res.on('error', responseFailed);
    // While closing, a connection whose last response just ended is idle:
    // drop it now rather than at the end of the grace period ('close' comes once).
    res.on('close', responseClosed);
    try {
      const answered = front === undefined ? false : front(req, res);
      if (answered === false) handle(req, res);
      else if (answered !== true) {
        answered
          .then((done) => {
            if (!done) handle(req, res);
          })
          .catch((err: unknown) => answerFailure(log, req, res, err));
      }
    } catch (err) {
      answerFailure(log, req, res, err);
    }
  };
  const server = make(guardedRequest);
  const h2: H2Face | undefined =
    http2 === undefined ? undefined : serveHttp2Beside(server, tls !== undefined, guardedRequest, { limits, reporter, log, maxConcurrentStreams });
  server.maxConnections = limits.connections;
  server.headersTimeout = limits.headersTimeoutMs;
  // Node's request timeout runs from the first byte of the request: headers, then body.
  server.requestTimeout = limits.headersTimeoutMs + limits.bodyTimeoutMs;
  server.keepAliveTimeout = limits.connectionIdleMs;
  // With no listener for them Node drops CONNECT and Upgrade requests without a word:
  // they get a status, like any request MCP does not use.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => refuseRaw(socket, 405, 'Method Not Allowed', 'CONNECT is not supported', log));
  server.on('upgrade', (_req: IncomingMessage, socket: Duplex) => refuseRaw(socket, 400, 'Bad Request', 'protocol upgrades are not supported', log));
  server.on('drop', (data?: { remoteAddress?: string }) => reporter.hit('connections', limits.connections, { remoteAddress: data?.remoteAddress }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // After listening, a server error (EMFILE on accept, …) is logged, not thrown.
  server.on('error', (err) => log.error({ err }, 'HTTP server error'));
  return {
    server,
    origin: `${tls === undefined ? 'http' : 'https'}://${urlHost(options.host)}:${(server.address() as AddressInfo).port}`,
    reloadTls(material) {
      if (tls === undefined) throw new Error('this server does not serve HTTPS');
      (server as unknown as { setSecureContext(o: object): void }).setSecureContext(tlsOptions(material));
    },
    close(drain) {
      closing ??= (async () => {
        // HTTP/2 clients are told at once: no new stream here (those under way finish).
        h2?.goAway();
        try {
          await drain?.();
        } finally {
          await stop(server, options.graceMs, h2);
        }
      })();
      return closing;
    },
  };
}

/**
 * The last resort for a handler that threw: 500 while the headers are not
 * out, else the socket is cut (a half-written response cannot be mended).
 */
export function answerFailure(log: Logger, req: IncomingMessage, res: ServerResponse, err: unknown): void {
  log.error({ err, method: req.method }, 'request failed');
  try {
    if (res.headersSent) res.destroy();
    else sendJsonRpcError(res, 500, HttpErrorCode.InternalError, 'Internal error: the proxy could not handle this request', { Connection: 'close' });
  } catch {
    res.destroy();
  }
}

/** Answers on a socket Node handed over raw (CONNECT, Upgrade) and closes it. */
function refuseRaw(socket: Duplex, status: number, reason: string, detail: string, log: Logger): void {
  socket.on('error', (err) => log.debug({ err }, 'raw socket failed'));
  const body = JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: HttpErrorCode.Refused, message: `${reason}: ${detail}` } });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Node's TLS options for `tls`: a client certificate is asked for, and required, only when `ca` is given. */
const tlsOptions = (tls: TlsMaterial) => ({
  cert: tls.cert,
  key: tls.key,
  ...(tls.ca === undefined ? {} : { ca: tls.ca, requestCert: true, rejectUnauthorized: true }),
});

/** How a client reaches the bind host: a wildcard bind is reached on loopback. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return bracketed(host);
}

/**
 * Stops listening, lets responses still being written finish for up to
 * `graceMs`, then cuts every connection left, HTTP/2 sessions too (idle
 * keep-alive sockets would otherwise hold `close` open indefinitely).
 */
function stop(server: Server, graceMs: number, h2: H2Face | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.closeAllConnections();
      h2?.destroy();
    }, graceMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
