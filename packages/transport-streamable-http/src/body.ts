import type { IncomingMessage } from 'node:http';
import { limitText, ProxyErrorCode } from '@mcproxy/core';
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
export type BodyResult = { ok: true; value: unknown } | ({ ok: false } & BodyRefusal);

/** `application/json`, with or without parameters such as `charset`. */
export function isJsonContentType(value: string | undefined): boolean {
  return value !== undefined && value.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

/**
 * Reads a POST body and parses it as JSON, refusing it early when it cannot
 * be one: wrong `Content-Type` (415), more than `maxBytes` (413 with
 * -32016 and `data: { limit: 'clientMessageBytes', value }`, checked against
 * `Content-Length` before reading and again while reading, for chunked
 * bodies), or not JSON (400, JSON-RPC parse error). A refused body is read
 * on and discarded (within bounds) first, so the client reads the refusal. The body is read
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
    await discardBody(req, maxBytes);
    return {
      ok: false,
      status: 415,
      code: HttpErrorCode.Refused,
      message: 'Unsupported Media Type: Content-Type must be application/json',
      closeConnection: true,
    };
  }
  const tooLarge = {
    ok: false as const,
    status: 413,
    code: ProxyErrorCode.LimitExceeded,
    message: `Payload Too Large: ${limitText('clientMessageBytes', maxBytes)}`,
    data: { limit: 'clientMessageBytes', value: maxBytes },
    closeConnection: true,
  };
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) {
    await discardBody(req, maxBytes);
    return tooLarge;
  }
  let raw: Buffer;
  try {
    raw = await collect(req, maxBytes);
  } catch (err) {
    if (err !== TOO_LARGE) throw err;
    await discardBody(req, maxBytes);
    return tooLarge;
  }
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) as unknown };
  } catch {
    return { ok: false, status: 400, code: HttpErrorCode.ParseError, message: 'Parse error: the body is not valid JSON' };
  }
}

/** Most a refused body is read for nothing, past what was read already: the larger of 1 MiB and the body limit. */
const DRAIN_BYTES = 1024 * 1024;
/** Longest a refused body is read for nothing. */
const DRAIN_MS = 5000;

/**
 * Reads and discards the rest of a body the proxy will refuse, up to a
 * bound (bytes and time), before the refusal goes out with
 * `Connection: close`. Closing a socket with unread bytes in it makes the
 * kernel reset the connection, and a reset client never reads the answer
 * (the Python SDK's client lost its session that way on a 413). A body
 * beyond the bound is not worth reading: that client gets the reset.
 */
export function discardBody(req: IncomingMessage, maxBytes: number): Promise<void> {
  if (req.complete || req.destroyed) return Promise.resolve();
  const most = Math.max(DRAIN_BYTES, maxBytes);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (Number.isFinite(declared) && declared > maxBytes + most) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    const done = (): void => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', done);
      req.off('close', done);
      req.pause();
      resolve();
    };
    const onData = (chunk: Buffer): void => {
      seen += chunk.length;
      if (seen > most) done();
    };
    const timer = setTimeout(done, DRAIN_MS);
    timer.unref();
    req.on('data', onData);
    req.on('end', done);
    req.on('close', done);
    req.resume();
  });
}
const TOO_LARGE = Symbol('too large');

/**
 * The body, up to `maxBytes`. Past that it stops listening and leaves the
 * socket paused rather than destroying the request, which would take the
 * socket, and with it the 413 answer, down too.
 */
function collect(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      stop();
      req.pause();
      reject(TOO_LARGE);
    };
    const onEnd = (): void => {
      stop();
      resolve(Buffer.concat(chunks));
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
