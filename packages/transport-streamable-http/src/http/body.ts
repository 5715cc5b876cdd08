import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { limitText, ProxyErrorCode } from '@mcproxy/core';
import { JsonBody } from '@mcproxy/large-json';
import { isHttp2, stopUpload } from './h2-compat.js';
import { HttpErrorCode } from './replies.js';

/** Why a body was refused: the HTTP status and the JSON-RPC error to answer with. */
export interface BodyRefusal {
  status: number;
  code: number;
  message: string;
  /** The JSON-RPC error's `data` (for a limit: `limit` and `value`). */
  data?: Record<string, unknown>;
  /** Set when the rest of the body was not read, so the connection must not be reused. */
  closeConnection?: boolean;
}

/** What `readJsonBody` found: the parsed value, or why the body was refused. */
export type BodyResult = { ok: true; value: unknown; raw: Buffer[] } | ({ ok: false } & BodyRefusal);

/** `application/json`, with or without parameters such as `charset`. */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === 'application/json') return true;
  return value !== undefined && value.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

/**
 * Reads a POST body and parses it as JSON, refusing it early when it cannot
 * be one: wrong `Content-Type` (415), more than `maxBytes` (413 with
 * -32016 and `data: { limit: 'clientMessageBytes', value }`, checked against
 * `Content-Length` before reading and again while reading, for chunked
 * bodies), or not JSON (400, JSON-RPC parse error). The rest of a refused
 * body is read and dropped after the answer (`discardBody`), so the client
 * reads the refusal. The body is read
 * here, not by the SDK, because which session (if any) it belongs to
 * depends on what it says. Every HTTP endpoint of the proxy reads bodies
 * with it, so they all answer alike.
 *
 * @example
 * const read = await readJsonBody(req, 4 * 1024 * 1024);
 * if (!read.ok) return sendJsonRpcError(res, read.status, read.code, read.message, read.closeConnection ? { Connection: 'close' } : {}, read.data);
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  if (!isJsonContentType(req.headers['content-type'])) {
    discardBody(req, maxBytes);
    return {
      ok: false,
      status: 415,
      code: HttpErrorCode.Refused,
      message: 'Unsupported Media Type: Content-Type must be application/json',
      closeConnection: true,
    };
  }
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) {
    discardBody(req, maxBytes);
    return tooLarge(maxBytes);
  }
  let body: JsonBody;
  try {
    body = await collect(req, maxBytes);
  } catch (err) {
    if (err !== TOO_LARGE) throw err;
    discardBody(req, maxBytes);
    return tooLarge(maxBytes);
  }
  const built = body.end();
  if (built.ok) return { ok: true, value: built.value, raw: body.chunks };
  return { ok: false, status: 400, code: HttpErrorCode.ParseError, message: 'Parse error: the body is not valid JSON' };
}

const tooLarge = (maxBytes: number): BodyResult => ({
  ok: false,
  status: 413,
  code: ProxyErrorCode.LimitExceeded,
  message: `Payload Too Large: ${limitText('clientMessageBytes', maxBytes)}`,
  data: { limit: 'clientMessageBytes', value: maxBytes },
  closeConnection: true,
});

/** Most read for nothing after a refusal: the larger of 32 MiB and four times the body limit. */
const LINGER_BYTES = 32 * 1024 * 1024;
/** Longest a refused connection is kept open after its answer, reading and dropping (nginx's lingering close, shorter). */
const LINGER_MS = 10_000;
const lingering = new WeakSet<Socket>();

/**
 * Makes sure the client reads the refusal of a body it is still sending.
 * The answer goes out first (with `Connection: close`, which the caller
 * sends); then, instead of closing at once, the connection half-closes and
 * goes on reading and dropping what the client still writes, until the
 * client closes its side, or `max(32 MiB, 4 × maxBytes)` more bytes came,
 * or 10 s passed. Closing a socket with unread bytes in it makes the kernel
 * reset the connection, and a reset destroys the answer before a client
 * that writes with back-pressure reads it (the 413 was lost so). A body
 * without a length is cut the same way. Returns at once. On HTTP/2 nothing
 * lingers: once the answer is out its stream is reset with `NO_ERROR`,
 * which stops that upload only (`stopUpload`).
 */
export function discardBody(req: IncomingMessage, maxBytes: number): void {
  if (isHttp2(req)) {
    stopUpload(req);
    return;
  }
  const socket = req.socket as (Socket & { destroySoon?: () => void }) | null;
  if (req.complete || req.destroyed || socket === null || socket.destroyed) return;
  // Whatever else comes of the body is emitted to nobody: read and dropped.
  req.resume();
  if (lingering.has(socket)) return;
  lingering.add(socket);
  const most = Math.max(LINGER_BYTES, 4 * maxBytes);
  // Node ends a `Connection: close` answer with `destroySoon`: this socket lingers instead.
  socket.destroySoon = function lingeringClose(): void {
    const from = socket.bytesRead;
    const cut = (): void => void socket.destroy();
    const timer = setTimeout(cut, LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    socket.on('data', () => {
      if (socket.bytesRead - from > most) cut();
    });
    // The client closed its side: nothing is left unread.
    socket.once('end', cut);
    socket.end();
  };
}
const TOO_LARGE = Symbol('too large');

/**
 * The body, up to `maxBytes`. Past that it stops listening and leaves the
 * socket paused rather than destroying the request, which would take the
 * socket, and with it the 413 answer, down too. A large body is never
 * joined: `JsonBody` checks it as it comes.
 */
function collect(req: IncomingMessage, maxBytes: number): Promise<JsonBody> {
  return new Promise((resolve, reject) => {
    const body = new JsonBody();
    const stop = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      if (body.bytes + chunk.length <= maxBytes) {
        body.push(chunk);
        return;
      }
      stop();
      req.pause();
      reject(TOO_LARGE);
    };
    const onEnd = (): void => {
      stop();
      resolve(body);
    };
    const onError = (err: Error): void => {
      stop();
      reject(err);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
