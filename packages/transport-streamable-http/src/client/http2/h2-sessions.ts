import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { writeWire, type Wire } from '@mcproxy/large-json';
import {
  connect,
  constants,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpStatusHeader,
  type SecureClientSessionOptions,
} from 'node:http2';
import type { Duplex } from 'node:stream';
import { onAbort, type Abort } from '@mcproxy/core';

/** Headers HTTP/2 forbids (RFC 9113 8.2.2) or carries as pseudo-headers: never sent as they are. */
const NOT_SENT = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings', 'host']);

/**
 * Whether a failed request may be sent once more: `sure` when the server
 * cannot have processed it (`REFUSED_STREAM`, a stream that never left),
 * `likely` when it failed on a kept connection the server had meanwhile
 * closed (as HTTP/1.1's ECONNRESET on a reused socket), `no` otherwise.
 */
export type Resend = 'sure' | 'likely' | 'no';

/** A request that failed on HTTP/2, with what the failure tells about the server having seen it. */
export class H2RequestError extends Error {
  constructor(
    override readonly cause: Error,
    /** A connection was made: the server may have read the request. */
    readonly connected: boolean,
    readonly resend: Resend,
  ) {
    super(cause.message, { cause });
    this.name = 'H2RequestError';
  }

  get code(): unknown {
    return (this.cause as NodeJS.ErrnoException).code;
  }
}

interface Entry {
  session: ClientHttp2Session;
  /** Streams open on it. */
  active: number;
  /** It carried a stream before: a failure on it may be the server having closed it meanwhile. */
  used: boolean;
  connected: boolean;
}

/**
 * The HTTP/2 connections of one link to one origin. Requests are streams,
 * multiplexed on the first connection with room under the server's
 * `maxConcurrentStreams`; another connection is opened only when all are
 * full, up to `maxSessions` (past it the least busy one takes the stream
 * and queues it). A connection with no stream open does not keep the
 * process alive, and one the server says GOAWAY to takes no new stream.
 */
export class H2Sessions {
  private readonly entries = new Set<Entry>();

  constructor(
    private readonly origin: string,
    /** For https: what to trust and whom to expect (the `servername`). */
    private readonly tls: SecureClientSessionOptions,
    public maxSessions: number,
  ) {}

  /** Serves the next request on `socket`, already connected (the TLS socket whose ALPN chose `h2`). */
  adopt(socket: Duplex): void {
    this.add(socket);
  }

  /**
   * Sends one request and resolves with its answer once the headers are
   * in: the stream itself, with `statusCode`, `headers` (without
   * pseudo-headers) and `complete` (true once the body ended), the part of
   * `IncomingMessage` the readers of upstream answers use. Rejects with an
   * `H2RequestError`. `signal` resets the stream (`CANCEL`).
   */
  request(method: string, path: string, headers: OutgoingHttpHeaders, body: Wire | undefined, signal?: Abort): Promise<IncomingMessage> {
    const entry = this.pick();
    const reused = entry.used;
    entry.used = true;
    return new Promise((resolve, reject) => {
      let answered = false;
      let stream: ClientHttp2Stream;
      try {
        stream = entry.session.request({ ...sendable(headers), ':method': method, ':path': path }, { endStream: body === undefined });
      } catch (err) {
        // The session was closing already: nothing was sent.
        reject(new H2RequestError(err as Error, false, 'sure'));
        return;
      }
      if (++entry.active === 1) entry.session.ref();
      // CANCEL on the wire (what a client that gives up says), an error for whoever reads the answer.
      const abandon = (): void => {
        stream.close(constants.NGHTTP2_CANCEL);
        stream.destroy(new Error('abandoned'));
      };
      const stop = onAbort(signal, abandon);
      const fail = (failure: Error): void => {
        if (answered) return;
        answered = true;
        const code = (failure as NodeJS.ErrnoException).code;
        // A stream still pending when its session failed never left: Node cancels it, the session's error as its cause.
        const pending = code === 'ERR_HTTP2_STREAM_CANCEL';
        const err = pending && failure.cause instanceof Error ? failure.cause : failure;
        const resend: Resend =
          pending || stream.rstCode === constants.NGHTTP2_REFUSED_STREAM
            ? 'sure'
            : reused && (code === 'ECONNRESET' || code === 'ERR_HTTP2_GOAWAY_SESSION')
              ? 'likely'
              : 'no';
        reject(new H2RequestError(err, entry.connected, resend));
      };
      stream.once('response', (head) => {
        if (answered) return;
        answered = true;
        resolve(asResponse(stream, head));
      });
      stream.on('error', fail);
      stream.once('close', () => {
        stop();
        if (--entry.active === 0) entry.session.unref();
        fail(new Error(`the stream closed without an answer (code ${stream.rstCode ?? 0})`));
      });
      if (typeof body === 'object') {
        writeWire(stream, body);
        stream.end();
      } else if (body !== undefined) stream.end(body);
    });
  }

  /** Ends every connection, and every stream on them. */
  destroy(): void {
    for (const entry of this.entries) entry.session.destroy();
    this.entries.clear();
  }

  private pick(): Entry {
    let least: Entry | undefined;
    for (const entry of this.entries) {
      if (entry.session.closed || entry.session.destroyed) continue;
      if (entry.active < (entry.session.remoteSettings.maxConcurrentStreams ?? 100)) return entry;
      if (least === undefined || entry.active < least.active) least = entry;
    }
    return least !== undefined && this.entries.size >= this.maxSessions ? least : this.add();
  }

  private add(socket?: Duplex): Entry {
    const session = connect(this.origin, socket === undefined ? this.tls : { ...this.tls, createConnection: () => socket });
    const entry: Entry = { session, active: 0, used: false, connected: false };
    session.once('connect', () => void (entry.connected = true));
    // Its streams report what went wrong; the session's own error needs a listener all the same.
    session.on('error', () => undefined);
    session.once('goaway', () => this.entries.delete(entry));
    session.once('close', () => this.entries.delete(entry));
    session.unref();
    this.entries.add(entry);
    return entry;
  }
}

/** What of `headers` HTTP/2 may carry: names in lower case, the connection's own left out, `Host` as `:authority`. */
function sendable(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    // A Host the link was configured with names the authority, which HTTP/2 carries as `:authority`.
    if (lower === 'host' && value !== undefined) out[':authority'] = value;
    else if (value !== undefined && !NOT_SENT.has(lower) && !(lower === 'te' && value !== 'trailers')) out[lower] = value;
  }
  return out;
}

/** The stream, given what readers of an `IncomingMessage` answer look at (see `H2Sessions.request`). */
function asResponse(stream: ClientHttp2Stream, head: IncomingHttpHeaders & IncomingHttpStatusHeader): IncomingMessage {
  const headers: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(head)) if (!name.startsWith(':')) headers[name] = value as string | string[] | undefined;
  Object.defineProperties(stream, {
    statusCode: { value: Number(head[':status']) },
    headers: { value: headers },
    complete: { get: () => stream.readableEnded },
  });
  // A structural stand-in, not a subclass: statusCode, headers, complete and the Readable API are all its readers use.
  return stream as unknown as IncomingMessage;
}
