import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { ConfigError, LimitReporter, resolveLimits, silentLogger, type EventLog, type Limits, type Listeners, type Logger, type Proxy } from '@mcproxy/core';
import { defaultEventStoreLimits, EventBudget, MemoryEventLog, type EventStoreLimits } from './sessions/event-store.js';
import { createRequestHandler } from './handler.js';
import type { CorsOptions } from '../http/cors.js';
import type { HttpAuthenticator } from '../http/front.js';
import { createHostGuard } from '../http/host-guard.js';
import { listenHttp, type TlsMaterial } from '../http/listen.js';
import type { Http2Option } from '../http/h2-face.js';
import { MemoryListeners } from './modern/listeners.js';
import { ModernPosts } from './modern/modern-posts.js';
import { Sessions } from './sessions/sessions.js';
import { targetOf } from '../http/replies.js';
import { ReplicaRouter, type ReplicaOptions } from './replicas/router.js';

export interface ServeStreamableHttpOptions {
  /** Interface to listen on. Default `127.0.0.1`: nothing outside this machine can reach it. */
  host?: string;
  /** Default 0: the system picks a free port (`url` says which). */
  port?: number;
  /** The MCP endpoint. Default `/mcp`. */
  path?: string;
  /** Host names (port optional) accepted in `Host`, instead of the loopback names and the bind host. `['*']`: any. */
  allowedHosts?: string[];
  /** Origins accepted in `Origin`, instead of the Host rule. `['*']`: any. */
  allowedOrigins?: string[];
  /** Check `Host` and `Origin` against DNS rebinding. Default true. */
  dnsRebindingProtection?: boolean;
  /**
   * The proxy's bounds (`sessions`, `connections`, the timeouts,
   * `eventStoreBytes`, `sessionIdleMs`, `slowReaderBytes`,
   * `clientMessageBytes`); each left out has its default (`defaultLimits`).
   */
  limits?: Partial<Limits>;
  /** Counts and logs each limit hit. Default: a reporter of its own on `log`. */
  limitReporter?: LimitReporter;
  /** Largest POST body read, in bytes; larger ones get 413. Overrides `limits.clientMessageBytes` (default 4 MiB). */
  maxBodyBytes?: number;
  /** `retry:` hint (ms) in SSE priming events. Default 1000. */
  retryIntervalMs?: number;
  /** How much each session remembers for clients that resume a stream with `Last-Event-ID` (all sessions together: `limits.eventStoreBytes`). */
  eventStore?: Partial<EventStoreLimits>;
  /** Where the sessions' events are kept for resumption. Default: in this process's memory, bounded by `eventStore` and `limits.eventStoreBytes`. */
  eventLog?: EventLog | undefined;
  /**
   * Close a session after this long with no request and no SSE stream open
   * on it. Clients often leave without DELETE. Overrides
   * `limits.sessionIdleMs` (default 30 minutes); 0: never.
   */
  sessionIdleMs?: number;
  /** A session that makes no request after its initialize is closed after this long (or `sessionIdleMs`, if shorter). Default 60 s. */
  unusedSessionMs?: number;
  /**
   * A request whose answer has not come within this long, with nothing
   * before it, gets an SSE stream (priming event first, so the client can
   * resume it); a quicker answer is sent as plain JSON. Default 50 ms; 0:
   * always a stream.
   */
  streamAfterMs?: number;
  /**
   * How often an open 2026-07-28 `subscriptions/listen` stream gets an SSE
   * comment, so intermediaries and clients do not take a quiet stream for a
   * dead one. Default 15 000 ms; 0: never.
   */
  keepAliveMs?: number;
  /** Where open `subscriptions/listen` streams are counted per principal (`limits.listensPerPrincipal`). Default: in this process's memory. */
  listeners?: Listeners | undefined;
  /** How long `close()` lets unfinished responses run before cutting their connections. Default 2000 ms. */
  closeGraceMs?: number;
  /**
   * Other endpoints served on the same port (e.g. the legacy SSE
   * transport's): each is offered every request first and takes the ones
   * it answers; the rest are ours. Closed with the server.
   */
  mounts?: readonly MountedHandler[];
  /** How often Node checks connections against `headersTimeoutMs` and the request timeout. Default: a quarter of `headersTimeoutMs`, at most 30 s. */
  timeoutCheckMs?: number;
  /** Who may use the endpoint (and the SSE one mounted beside it): see `@mcproxy/auth`. Without it, anyone who reaches the port. */
  auth?: HttpAuthenticator | undefined;
  /** Answer CORS preflights and mark answers for these browser origins (also accepted by the DNS-rebinding guard). */
  cors?: CorsOptions | undefined;
  /** Serve HTTPS with this certificate (PEM); `ca` asks clients for certificates it signed. */
  tls?: TlsMaterial | undefined;
  /**
   * Serve HTTP/2 as well, on the same port (the endpoints mounted beside
   * this one too): with `tls`, to clients that pick `h2` by ALPN (the others
   * keep HTTP/1.1); without, to clients that open with the HTTP/2 preface
   * (h2c with prior knowledge, as service meshes do). The limits apply per
   * stream; `maxConcurrentStreams` (default 100) bounds one connection's.
   */
  http2?: Http2Option | undefined;
  /** One of several replicas sharing a store: sessions are recorded there, forwarded to their owner, taken over when it is gone. */
  replicas?: ReplicaOptions | undefined;
  log?: Logger;
}

/** What a face that is one of several replicas can be asked (see `replicas`). */
export interface ReplicaFace {
  /** Hands every session held here to the other replicas (after at most `graceMs` for what each is answering). */
  release(graceMs: number): Promise<void>;
  /** Puts the sessions held here back in the store (after it came back empty). */
  republish(): Promise<void>;
}

/** An endpoint that shares the streamable HTTP server's port. */
export interface MountedHandler {
  /** Answers the request and returns true, or returns false to leave it to the next handler. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  close(): Promise<void>;
}

export interface HttpServer extends ReplicaFace {
  /** The endpoint, with the real port: `http://127.0.0.1:41234/mcp`. */
  url: string;
  server: Server;
  /** Serves another endpoint on this port from now on (a route added by a reload); it is closed with the server. */
  mount(handler: MountedHandler): void;
  /** Stops offering requests to `handler` (closing it is the caller's). */
  unmount(handler: MountedHandler): void;
  /** Closes every session (in-flight requests are answered), then the server, then whatever connections linger. */
  close(): Promise<void>;
  /** HTTPS only: new connections get this certificate from now on (open ones keep theirs). Throws for a key that does not fit. */
  reloadTls(tls: TlsMaterial): void;
}

/** A streamable HTTP endpoint that can share a port: it takes the requests for its own `path` only. */
export interface StreamableHttpEndpoint extends MountedHandler, ReplicaFace {
  readonly path: string;
}

/**
 * One more streamable HTTP endpoint for a server that is already
 * listening: sessions, limits and a proxy of its own, answering only
 * requests for `options.path`. Mount it with `HttpServer.mount` (or pass it
 * in `mounts`) to serve several proxies on one port, one path each.
 *
 * @example
 * const http = await serveStreamableHttp(gdrive, { port: 8080, path: '/gdrive' });
 * http.mount(createStreamableHttpHandler(steam, { path: '/steam' }));
 */
export function createStreamableHttpHandler(
  proxy: Proxy,
  options: Omit<ServeStreamableHttpOptions, 'port' | 'mounts' | 'closeGraceMs' | 'timeoutCheckMs' | 'http2'> = {},
): StreamableHttpEndpoint {
  const log = (options.log ?? silentLogger).child({ transport: 'streamable-http' });
  const endpoint = endpointFor(proxy, options, log);
  return {
    path: endpoint.path,
    handle(req, res) {
      if (targetOf(req.url)?.pathname !== endpoint.path) return false;
      endpoint.serve(req, res);
      return true;
    },
    close: () => endpoint.close(),
    release: (graceMs) => endpoint.sessions.release(graceMs),
    republish: () => endpoint.sessions.republish(),
  };
}

/** Everything one endpoint keeps: its sessions, its modern requests and the handler that routes among them. */
function endpointFor(proxy: Proxy, options: Omit<ServeStreamableHttpOptions, 'port' | 'mounts'>, log: Logger) {
  const host = options.host ?? '127.0.0.1';
  const path = options.path ?? '/mcp';
  if (!path.startsWith('/')) throw new ConfigError(`path must start with "/", not "${path}"`);
  const guard =
    options.dnsRebindingProtection === false
      ? () => undefined
      : createHostGuard({ bindHost: host, allowedHosts: options.allowedHosts, allowedOrigins: options.allowedOrigins, corsOrigins: options.cors?.origins });
  const limits = resolveLimits({ ...options.limits, ...(options.maxBodyBytes === undefined ? {} : { clientMessageBytes: options.maxBodyBytes }) });
  const limitReporter = options.limitReporter ?? new LimitReporter(log);
  const store = { ...defaultEventStoreLimits, ...options.eventStore };
  const retryIntervalMs = positive('retryIntervalMs', options.retryIntervalMs, 1000);
  const storeLimits: EventStoreLimits = {
    eventsPerStream: positive('eventStore.eventsPerStream', store.eventsPerStream, 1),
    streams: positive('eventStore.streams', store.streams, 1),
  };
  const replicas = options.replicas === undefined ? undefined : new ReplicaRouter(options.replicas, log);
  const sessions = new Sessions({
    proxy,
    log,
    path,
    replicas,
    shared: options.replicas?.events,
    retryIntervalMs,
    events: options.eventLog ?? new MemoryEventLog(storeLimits, new EventBudget(limits.eventStoreBytes), log),
    idleMs: atLeastZero('sessionIdleMs', options.sessionIdleMs, limits.sessionIdleMs),
    unusedMs: positive('unusedSessionMs', options.unusedSessionMs, 60_000),
    primeAfterMs: atLeastZero('streamAfterMs', options.streamAfterMs, 50),
    limits,
    limitReporter,
  });
  const modern = new ModernPosts({
    proxy,
    log,
    limits,
    limitReporter,
    keepAliveMs: atLeastZero('keepAliveMs', options.keepAliveMs, 15_000),
    listeners: options.listeners ?? new MemoryListeners(),
    replicas,
  });
  let closed = false;
  const serve = createRequestHandler({
    path,
    guard,
    sessions,
    modern,
    log,
    proxy,
    limits,
    limitReporter,
    maxBodyBytes: limits.clientMessageBytes,
    closing: () => closed,
    replicas,
  });
  return {
    path,
    serve,
    sessions,
    async close() {
      closed = true;
      await Promise.allSettled([sessions.closeAll(), modern.closeAll()]);
    },
  };
}

const positive = (name: string, value: number | undefined, fallback: number): number => {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v <= 0) throw new ConfigError(`${name} must be a positive number, not ${String(value)}`);
  return v;
};

const atLeastZero = (name: string, value: number | undefined, fallback: number): number => {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < 0) throw new ConfigError(`${name} must be a number of milliseconds (0 or more), not ${String(value)}`);
  return v;
};

/**
 * Serves a proxy over Streamable HTTP: each client that POSTs `initialize`
 * gets its own session (`Mcp-Session-Id`), handed to `proxy.accept`, with
 * SSE streams that can be resumed (`Last-Event-ID`). On the same endpoint,
 * a 2026-07-28 POST (no session, a modern version or envelope) is served
 * statelessly, each request on its own (see `ModernPosts`). Listens on loopback
 * unless told otherwise, and refuses foreign `Host`/`Origin` headers.
 * Throws a `ConfigError` for options that cannot work.
 *
 * @example
 * const http = await serveStreamableHttp(proxy, { port: 8080, log });
 * log.info({ url: http.url }, 'listening');
 * process.once('SIGTERM', () => void http.close());
 */
export async function serveStreamableHttp(proxy: Proxy, options: ServeStreamableHttpOptions = {}): Promise<HttpServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`port must be an integer from 0 to 65535, not ${port}`);
  const log = (options.log ?? silentLogger).child({ transport: 'streamable-http' });
  const limits = resolveLimits({ ...options.limits, ...(options.maxBodyBytes === undefined ? {} : { clientMessageBytes: options.maxBodyBytes }) });
  const limitReporter = options.limitReporter ?? new LimitReporter(log);
  const endpoint = endpointFor(proxy, { ...options, limitReporter }, log);
  const closeGraceMs = atLeastZero('closeGraceMs', options.closeGraceMs, 2000);
  const mounts = [...(options.mounts ?? [])];
  let closing: Promise<void> | undefined;
  const listener = await listenHttp(
    (req, res) => {
      for (const mount of mounts) if (mount.handle(req, res)) return;
      endpoint.serve(req, res);
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
      http2: options.http2,
      auth: options.auth,
      cors: options.cors,
    },
  );
  const url = `${listener.origin}${endpoint.path}`;
  log.info({ url }, 'listening');

  return {
    url,
    server: listener.server,
    mount(handler) {
      mounts.push(handler);
    },
    unmount(handler) {
      const i = mounts.indexOf(handler);
      if (i >= 0) mounts.splice(i, 1);
    },
    reloadTls: (tls) => listener.reloadTls(tls),
    release: (graceMs) => endpoint.sessions.release(graceMs),
    republish: () => endpoint.sessions.republish(),
    close() {
      closing ??= (async () => {
        await listener.close(() => Promise.allSettled([endpoint.close(), ...mounts.map((m) => m.close())]));
        log.info({ url }, 'closed');
      })();
      return closing;
    },
  };
}
