// HTTP/2 requests and responses that every handler of ours can take as it takes HTTP/1.1 ones.
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { constants, Http2ServerRequest, Http2ServerResponse, type ServerHttp2Stream } from 'node:http2';
import type { ReadableOptions } from 'node:stream';

/**
 * Headers about the HTTP/1.1 connection, which HTTP/2 forbids (RFC 9113
 * 8.2.2): Node throws on them when the headers go out, which would cost the
 * response. Our handlers, the SDK transport and the mounted SSE endpoint
 * set some of them (`Connection: close` after a refused body,
 * `Connection: keep-alive` on event streams); on HTTP/2 they are dropped.
 */
const CONNECTION_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings']);

/** Whether `req` came over HTTP/2 (its socket is then the session's, shared by every stream, and must not be touched). */
export function isHttp2(req: IncomingMessage): boolean {
  return req.httpVersionMajor === 2;
}

/** Longest a refused upload is held open waiting for its answer to leave (as HTTP/1.1's lingering close). */
const STOP_WAIT_MS = 10_000;

const stopping = new WeakSet<object>();

/**
 * Tells the client to stop sending a body nobody will read, once the
 * answer is out: `RST_STREAM` with `NO_ERROR` (RFC 9113 8.1). That stream
 * ends; the connection and its other streams go on. Until then what still
 * comes is dropped: a request left paused with data in it keeps Node's
 * session from ever seeing its connection close. The reset waits until
 * the answer's last frame has left (`localClose`, checked at growing
 * intervals), since a reset sent earlier overtakes it and the client gets
 * no answer; an answer that cannot leave within 10 s (a client that reads
 * nothing) is reset with `CANCEL`. Called for every answer that finishes
 * before its request's body (Node does this only for a body nothing read).
 */
export function stopUpload(req: IncomingMessage): void {
  const stream = (req as unknown as Http2ServerRequest).stream;
  if (stream.closed || stream.destroyed || stopping.has(stream)) return;
  stopping.add(stream);
  req.resume();
  const since = Date.now();
  let wait = 0;
  const check = (): void => {
    if (stream.closed || stream.destroyed) return;
    if (stream.state.localClose === 1) stream.close(constants.NGHTTP2_NO_ERROR);
    else if (Date.now() - since > STOP_WAIT_MS) stream.close(constants.NGHTTP2_CANCEL);
    else {
      wait = Math.min(100, wait * 2 || 1);
      setTimeout(check, wait).unref();
    }
  };
  if (stream.writableFinished) check();
  else stream.once('finish', check);
}

/**
 * A request as Node's HTTP/2 compatibility layer makes it, with `Host`
 * filled from `:authority` when the client sent only that (RFC 9113 8.3.1:
 * an HTTP/2 client names the authority there, and whoever turns the request
 * into HTTP/1.1 writes it as `Host`). What reads `Host` (the DNS-rebinding
 * guard, the forward to another replica) reads it the same on both.
 */
export class H2Request extends Http2ServerRequest {
  constructor(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, options: ReadableOptions, rawHeaders: readonly string[]) {
    super(stream, headers, options, rawHeaders);
    const authority = headers[':authority'];
    if (headers.host === undefined && typeof authority === 'string') headers.host = authority;
  }
}

/**
 * A response that takes what our HTTP/1.1 code writes: connection headers
 * are dropped instead of throwing, and a response cut short (`destroy()`,
 * by `writeOrCut` or after a failure) resets its stream with `CANCEL`, so
 * the client cannot take the truncated body for a whole one (Node's own
 * reset would say `NO_ERROR`). Only that stream ends; the connection and
 * its other streams go on.
 */
export class H2Response extends Http2ServerResponse {
  override setHeader(name: string, value: number | string | readonly string[]): void {
    if (!CONNECTION_HEADERS.has(name.toLowerCase())) super.setHeader(name, value);
  }

  override appendHeader(name: string, value: string | string[]): void {
    if (!CONNECTION_HEADERS.has(name.toLowerCase())) super.appendHeader(name, value);
  }

  override writeHead(statusCode: number, headers?: OutgoingHttpHeaders): this;
  override writeHead(statusCode: number, statusMessage: string, headers?: OutgoingHttpHeaders): this;
  override writeHead(statusCode: number, messageOrHeaders?: string | OutgoingHttpHeaders, maybeHeaders?: OutgoingHttpHeaders): this {
    // HTTP/2 has no reason phrase (Node would warn and ignore it).
    const headers = typeof messageOrHeaders === 'string' ? maybeHeaders : messageOrHeaders;
    return super.writeHead(statusCode, headers === undefined ? undefined : withoutConnectionHeaders(headers));
  }

  override destroy(err?: Error): this {
    const stream = this.stream;
    if (!stream.destroyed && !stream.closed) stream.close(err === undefined ? constants.NGHTTP2_CANCEL : constants.NGHTTP2_INTERNAL_ERROR);
    return super.destroy(err);
  }
}

/** `headers` without the connection headers (the object itself when it has none). */
function withoutConnectionHeaders(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  let kept: OutgoingHttpHeaders | undefined;
  for (const name of Object.keys(headers)) {
    if (!CONNECTION_HEADERS.has(name.toLowerCase())) continue;
    kept ??= { ...headers };
    delete kept[name];
  }
  return kept ?? headers;
}
