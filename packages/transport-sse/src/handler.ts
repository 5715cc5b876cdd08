import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigError, LimitReporter, logId, resolveLimits, samePrincipal, silentLogger, type Limits, type Logger, type Proxy } from '@mcproxy/core';
import {
  principalOf,
  sessionRefusal,
  answerFailure,
  createHostGuard,
  hopsFromHeader,
  traceFromHeaders,
  HttpErrorCode,
  readJsonBody,
  refusedAtTheDoor,
  sendJsonRpcError,
  sendLimitReply,
  targetOf,
  type CorsOptions,
  type HostGuard,
  type Target,
} from '@mcproxy/transport-streamable-http';
import { SseSessionChannel } from './session-channel.js';

export interface SseHandlerOptions {
  /**
   * The interface the server listens on. Default `127.0.0.1`. The Host check
   * allows it besides the loopback names, so pass the host the server that
   * mounts this handler was bound to.
   */
  host?: string;
  /** Where clients open the event stream (GET). Default `/sse`. */
  ssePath?: string;
  /** Where clients POST their messages, with `?sessionId=…`. Default `/messages`. */
  messagesPath?: string;
  /** Host names (port optional) accepted in `Host`, instead of the loopback names and the bind host. `['*']`: any. */
  allowedHosts?: string[];
  /** Origins accepted in `Origin`, instead of the Host rule. `['*']`: any. */
  allowedOrigins?: string[];
  /** Check `Host` and `Origin` against DNS rebinding. Default true. */
  dnsRebindingProtection?: boolean;
  /** The proxy's bounds (`sessions`, `clientMessageBytes`, `slowReaderBytes`; `serveSse` also the connection ones); each left out has its default. */
  limits?: Partial<Limits>;
  /** Counts and logs each limit hit. Default: a reporter of its own on `log`. */
  limitReporter?: LimitReporter;
  /** Largest POST body read, in bytes; larger ones get 413. Overrides `limits.clientMessageBytes` (default 4 MiB). */
  maxBodyBytes?: number;
  /** An SSE comment on every stream this often (ms), so idle connections survive intermediaries. Default 25000; 0: never. */
  pingIntervalMs?: number;
  /**
   * Browser origins CORS lets in: accepted by the DNS-rebinding guard too.
   * (The CORS headers themselves, and authentication, are the server's
   * front: `serveSse`'s, or that of the streamable HTTP server it is mounted on.)
   */
  cors?: CorsOptions | undefined;
  log?: Logger;
}

/**
 * The legacy SSE endpoints as a request handler, for mounting on an
 * `http.Server` that serves other things too.
 */
export interface SseHandler {
  /**
   * Takes the request if its path is the SSE or the messages path, and
   * returns true; returns false, touching nothing, for any other path, so
   * the caller can pass it to its next handler.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** How many sessions are open. */
  readonly sessions: number;
  /** Refuses new sessions (503) and ends every open one; core answers what each had in flight. */
  close(): Promise<void>;
}

const checkPath = (name: string, path: string): string => {
  if (!path.startsWith('/')) throw new ConfigError(`${name} must start with "/", not "${path}"`);
  return path;
};

const count = (name: string, value: number | undefined, fallback: number, min: number): number => {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < min) throw new ConfigError(`${name} must be a number ${min === 0 ? '(0 or more)' : 'above 0'}, not ${String(value)}`);
  return v;
};

/**
 * Serves the HTTP+SSE transport of MCP revision 2024-11-05 for `proxy`, as a
 * handler: GET on `ssePath` opens a session (`proxy.accept(channel, id)`)
 * whose stream starts with an `endpoint` event naming
 * `messagesPath?sessionId=<id>`; POSTs there carry the client's messages
 * (202), and every answer goes on the stream. Throws a `ConfigError` for
 * options that cannot work.
 *
 * @example
 * const sse = createSseHandler(proxy, { host: '127.0.0.1', log });
 * const server = http.createServer((req, res) => {
 *   if (!sse.handle(req, res)) otherHandler(req, res);
 * });
 */
export function createSseHandler(proxy: Proxy, options: SseHandlerOptions = {}): SseHandler {
  const host = options.host ?? '127.0.0.1';
  const ssePath = checkPath('ssePath', options.ssePath ?? '/sse');
  const messagesPath = checkPath('messagesPath', options.messagesPath ?? '/messages');
  const limits = resolveLimits(options.limits);
  const maxBodyBytes = count('maxBodyBytes', options.maxBodyBytes, limits.clientMessageBytes, 1);
  const pingIntervalMs = count('pingIntervalMs', options.pingIntervalMs, 25_000, 0);
  const log = (options.log ?? silentLogger).child({ transport: 'sse' });
  const limitReporter = options.limitReporter ?? new LimitReporter(log);
  const guard: HostGuard =
    options.dnsRebindingProtection === false
      ? () => undefined
      : createHostGuard({ bindHost: host, allowedHosts: options.allowedHosts, allowedOrigins: options.allowedOrigins, corsOrigins: options.cors?.origins });
  const live = new Map<string, SseSessionChannel>();
  let closing: Promise<void> | undefined;

  const open = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // Every face's sessions count: the limit is on what the proxy holds, not on one port; and one principal holds a share of it.
    const refused = sessionRefusal(proxy, principalOf(req), limits, limitReporter, 'sse');
    if (refused !== undefined) return sendLimitReply(res, refused.status, refused.reply, { 'Retry-After': '5' });
    const id = randomUUID();
    const channel = new SseSessionChannel({
      id,
      res,
      pingIntervalMs,
      log,
      slowReaderBytes: limits.slowReaderBytes,
      onSlowReader: (buffered) => limitReporter.hit('slowReaderBytes', limits.slowReaderBytes, { transport: 'sse', session: logId(id), buffered }),
      endpoint: `${messagesPath}?sessionId=${encodeURIComponent(id)}`,
      onEnd: () => {
        live.delete(id);
        log.info({ session: logId(id) }, 'session closed');
      },
    });
    // In the table before the endpoint event goes out, so the first POST finds it.
    live.set(id, channel);
    try {
      channel.core = await proxy.accept(channel, id, { principal: principalOf(req) });
    } catch (err) {
      live.delete(id);
      throw err;
    }
    log.info({ session: logId(id) }, 'session opened');
  };

  const post = async (req: IncomingMessage, res: ServerResponse, url: Target): Promise<void> => {
    const id = url.query.get('sessionId');
    if (id === null) return sendJsonRpcError(res, 400, HttpErrorCode.Refused, 'Bad Request: the sessionId query parameter is required');
    const channel = live.get(id);
    // A session is bound to whoever opened its stream: to anyone else its id names nothing.
    if (channel === undefined || !samePrincipal(channel.core?.principal, principalOf(req)))
      return sendJsonRpcError(res, 404, HttpErrorCode.SessionNotFound, 'Session not found');
    const body = await readJsonBody(req, maxBodyBytes);
    if (!body.ok) {
      if (body.status === 413) limitReporter.hit('clientMessageBytes', maxBodyBytes, { transport: 'sse', session: logId(id) });
      return sendJsonRpcError(res, body.status, body.code, body.message, body.closeConnection === true ? { Connection: 'close' } : {}, body.data);
    }
    // A hop list that reached us only in the Mcproxy-Hops header goes back into `_meta`, where core checks for loops.
    channel.receive(traceFromHeaders(hopsFromHeader(body.value, req.headers), req.headers));
    res.writeHead(202, { 'Content-Type': 'text/plain' }).end('Accepted');
  };

  const serve = async (req: IncomingMessage, res: ServerResponse, url: Target): Promise<void> => {
    if (refusedAtTheDoor(req, res, closing !== undefined, guard, maxBodyBytes, log)) return;
    // The two paths may be one: the method then says which endpoint is meant.
    if (req.method === 'GET' && url.pathname === ssePath) return open(req, res);
    if (req.method === 'POST' && url.pathname === messagesPath) return post(req, res, url);
    const allow = [url.pathname === ssePath ? 'GET' : undefined, url.pathname === messagesPath ? 'POST' : undefined].filter((m) => m !== undefined).join(', ');
    return sendJsonRpcError(res, 405, HttpErrorCode.Refused, `Method Not Allowed: ${req.method ?? ''}`, { Allow: allow });
  };

  return {
    handle(req, res) {
      // A target URL cannot read (`http://x:99999/sse`) is no path of ours: the next handler answers it (400 or 404).
      const url = targetOf(req.url);
      if (url === undefined || (url.pathname !== ssePath && url.pathname !== messagesPath)) return false;
      try {
        serve(req, res, url).catch((err: unknown) => answerFailure(log, req, res, err));
      } catch (err) {
        answerFailure(log, req, res, err);
      }
      return true;
    },
    get sessions() {
      return live.size;
    },
    close() {
      closing ??= Promise.allSettled([...live.values()].map((channel) => channel.shutdown('the server is shutting down'))).then(() => undefined);
      return closing;
    },
  };
}
