// Serving HTTP/2 beside HTTP/1.1 on one port: which connection goes where, and the limits per stream.
import { maxHeaderSize, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { constants, createServer as createH2Server, type Http2Session, type ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { ConfigError, type LimitReporter, type Limits, type Logger } from '@mcproxy/core';
import { H2Request, H2Response, stopUpload } from './h2-compat.js';

/** `http2` of `listenHttp`: on, or on with a bound of its own. */
export type Http2Option = boolean | { maxConcurrentStreams?: number | undefined };

/** Streams one HTTP/2 connection may have open at once unless told otherwise (what nginx and Go's server allow too, near enough). */
export const DEFAULT_MAX_CONCURRENT_STREAMS = 100;

/** What every HTTP/2 connection starts with (RFC 9113 3.4): how a cleartext one is told from HTTP/1.1. */
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export interface H2FaceOptions {
  limits: Limits;
  reporter: LimitReporter;
  log: Logger;
  maxConcurrentStreams: number;
}

/** The HTTP/2 side of a listener: it is handed connections, and closes them with the listener. */
export interface H2Face {
  /** From now on, every session is told GOAWAY (those that come later at once): streams under way finish, no new one starts. */
  goAway(): void;
  /** Cuts every session left. */
  destroy(): void;
}

/** The bound on streams per connection that `http2` asks for; throws a `ConfigError` for one that cannot work. */
export function maxStreamsOf(option: Http2Option): number {
  const value = typeof option === 'object' ? (option.maxConcurrentStreams ?? DEFAULT_MAX_CONCURRENT_STREAMS) : DEFAULT_MAX_CONCURRENT_STREAMS;
  if (!Number.isInteger(value) || value < 1 || value > 2 ** 31 - 1)
    throw new ConfigError(`http2.maxConcurrentStreams must be a whole number from 1, not ${value}`);
  return value;
}

/**
 * Makes `server` (the listener's `node:http` or `node:https` server) serve
 * HTTP/2 too, on the same port, through Node's compatibility API, so
 * `handle` gets request and response objects our HTTP/1.1 code can take
 * (see `H2Request`, `H2Response`). Over TLS a connection is HTTP/2 when
 * ALPN chose `h2` (the server offers `h2` and `http/1.1`); in cleartext
 * when its first bytes are the HTTP/2 preface (prior knowledge, what
 * service meshes send); everything else goes to the HTTP/1.1 server as
 * before. The limits HTTP/1.1 keeps per connection are kept per stream,
 * and a stream that breaks one ends alone (its connection and the other
 * streams go on): `maxConcurrentStreams` per connection (in the settings
 * the client is sent), `limits.connections` streams over all connections
 * (past it a stream is refused with `REFUSED_STREAM`, which tells the
 * client it was not processed; counted as a dropped connection is), the
 * body limit (413, then `stopUpload`), the request timeout (a stalled body
 * resets its stream), `slowReaderBytes` (`writeOrCut` resets the stream),
 * `headersTimeoutMs` for a fresh connection to send its preface and first
 * request, and `connectionIdleMs` for one with no stream open.
 */
export function serveHttp2Beside(server: Server, tls: boolean, handle: (req: IncomingMessage, res: ServerResponse) => void, options: H2FaceOptions): H2Face {
  const { limits, reporter, log } = options;
  const bodyMs = limits.headersTimeoutMs + limits.bodyTimeoutMs;
  let open = 0;
  let closing = false;
  const sessions = new Set<Http2Session>();
  const h2 = createH2Server(
    {
      // The same bound on a request's headers as HTTP/1.1's.
      settings: { maxConcurrentStreams: options.maxConcurrentStreams, maxHeaderListSize: maxHeaderSize },
      Http2ServerRequest: H2Request,
      Http2ServerResponse: H2Response,
    },
    function http2Request(req, res) {
      const stream = req.stream;
      if (open >= limits.connections) {
        reporter.hit('connections', limits.connections, { remoteAddress: req.socket.remoteAddress, http2: true });
        stream.close(constants.NGHTTP2_REFUSED_STREAM);
        return;
      }
      open++;
      let deadline: NodeJS.Timeout | undefined;
      if (!stream.endAfterHeaders) {
        // Node's request timeout does not see HTTP/2 streams: a body that stalls costs its stream.
        deadline = setTimeout(cutStalled, bodyMs, req, stream);
        // An answer that comes before the whole body (a refusal) ends the upload, as HTTP/1.1's lingering close does.
        stream.once('finish', () => req.readableEnded || stream.state.remoteClose === 1 || stopUpload(req as unknown as IncomingMessage));
      }
      stream.once('close', () => {
        open--;
        clearTimeout(deadline);
      });
      // Our handlers take HTTP/1.1's objects; these two act alike where they use them (see h2-compat.ts).
      handle(req as unknown as IncomingMessage, res as unknown as ServerResponse);
    },
  );
  h2.on('session', (session: Http2Session) => {
    sessions.add(session);
    session.on('error', (err) => log.debug({ err }, 'HTTP/2 session failed'));
    session.once('close', () => sessions.delete(session));
    if (closing) {
      session.close();
      return;
    }
    watchIdle(session, limits);
  });

  routeConnections(server, tls, limits.headersTimeoutMs, (socket) => h2.emit('connection', socket));
  return {
    goAway() {
      closing = true;
      for (const session of sessions) session.close();
    },
    destroy() {
      for (const session of sessions) session.destroy();
    },
  };
}

/**
 * Puts a dispatcher in place of the HTTP/1.1 server's own connection
 * listener (Node's, the only one there at construction): a connection
 * that speaks HTTP/2 goes to `toH2`, any other to that listener, so Node's
 * HTTP/1.1 server (its timeouts, `closeIdleConnections`, CONNECT and
 * Upgrade handling) is unchanged for it. The listening server stays the
 * one `maxConnections`, `'drop'` and TLS reloads act on.
 */
function routeConnections(server: Server, tls: boolean, sniffMs: number, toH2: (socket: Socket) => void): void {
  const event = tls ? 'secureConnection' : 'connection';
  const [h1] = server.listeners(event) as ((socket: Socket) => void)[];
  if (h1 === undefined) throw new Error(`the HTTP server has no ${event} listener to route from`);
  server.removeListener(event, h1);
  const toH1 = (socket: Socket): void => h1.call(server, socket);
  server.on(event, function routeConnection(socket: Socket) {
    if (tls) (socket as TLSSocket).alpnProtocol === 'h2' ? toH2(socket) : toH1(socket);
    else sniff(socket, sniffMs, (isH2) => (isH2 ? toH2(socket) : toH1(socket)));
  });
}

/**
 * Reads a cleartext connection's first bytes only as far as they tell
 * HTTP/2's preface from anything else (no HTTP/1.1 request starts like it:
 * `PRI` is no method), puts them back, and hands the socket on. A
 * connection that tells nothing within `ms` is closed, as Node closes a
 * silent one after its header timeout.
 */
function sniff(socket: Socket, ms: number, decide: (isH2: boolean) => void): void {
  let seen: Buffer = Buffer.alloc(0);
  const timer = setTimeout(() => socket.destroy(), ms);
  const stop = (): void => {
    clearTimeout(timer);
    socket.off('readable', onReadable);
    socket.off('error', onError);
    socket.off('close', onClose);
  };
  const onError = (): void => stop();
  const onClose = (): void => stop();
  function onReadable(): void {
    for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null) {
      seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, PREFACE.length);
      const same = seen.compare(PREFACE, 0, n, 0, n) === 0;
      if (same && n < PREFACE.length) continue;
      stop();
      socket.unshift(seen);
      decide(same);
      return;
    }
  }
  socket.on('readable', onReadable);
  socket.on('error', onError);
  socket.on('close', onClose);
}

/**
 * Closes a session that opens no stream within `headersTimeoutMs` of
 * connecting, or none within `connectionIdleMs` of its last one ending:
 * what HTTP/1.1's header and keep-alive timeouts do to a connection.
 */
function watchIdle(session: Http2Session, limits: Limits): void {
  let active = 0;
  let timer: NodeJS.Timeout | undefined = setTimeout(() => session.destroy(), limits.headersTimeoutMs);
  session.on('stream', (stream: ServerHttp2Stream) => {
    active++;
    clearTimeout(timer);
    timer = undefined;
    stream.once('close', () => {
      active--;
      if (active === 0 && !session.closed) timer = setTimeout(() => session.close(), limits.connectionIdleMs);
    });
  });
  session.once('close', () => clearTimeout(timer));
}

/**
 * Resets a stream whose request body is not all in within HTTP/1.1's
 * request timeout (headers and body) of its headers. The handler reading it
 * sees the request end short, as when a client leaves.
 */
function cutStalled(req: H2Request, stream: ServerHttp2Stream): void {
  if (!req.complete && !stream.closed) stream.close(constants.NGHTTP2_CANCEL);
}
