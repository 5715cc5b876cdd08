import type { IncomingMessage } from 'node:http';
import { HttpErrorCode } from './replies.js';

/** Why a body was refused: the HTTP status and the JSON-RPC error to answer with. */
export interface BodyRefusal {
  status: number;
  code: number;
  message: string;
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
 * be one: wrong `Content-Type` (415), more than `maxBytes` (413, checked
 * against `Content-Length` before reading and again while reading, for
 * chunked bodies), or not JSON (400, JSON-RPC parse error). The body is read
 * here, not by the SDK, because which session (if any) it belongs to
 * depends on what it says. Every HTTP endpoint of the proxy reads bodies
 * with it, so they all answer alike.
 *
 * @example
 * const read = await readJsonBody(req, 4 * 1024 * 1024);
 * if (!read.ok) return sendJsonRpcError(res, read.status, read.code, read.message, read.closeConnection ? { Connection: 'close' } : {});
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  if (!isJsonContentType(req.headers['content-type'])) {
    return { ok: false, status: 415, code: HttpErrorCode.Refused, message: 'Unsupported Media Type: Content-Type must be application/json', closeConnection: true };
  }
  const tooLarge = { ok: false as const, status: 413, code: HttpErrorCode.Refused, message: `Payload Too Large: the body must not exceed ${maxBytes} bytes`, closeConnection: true };
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) return tooLarge;
  let raw: Buffer;
  try {
    raw = await collect(req, maxBytes);
  } catch (err) {
    if (err === TOO_LARGE) return tooLarge;
    throw err;
  }
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) as unknown };
  } catch {
    return { ok: false, status: 400, code: HttpErrorCode.ParseError, message: 'Parse error: the body is not valid JSON' };
  }
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
