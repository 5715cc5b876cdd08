import type { IncomingMessage, ServerResponse } from 'node:http';

/** JSON-RPC codes the HTTP layer answers with before a message reaches a session (the same as the streamable HTTP side). */
export const HttpErrorCode = {
  ParseError: -32700,
  InternalError: -32603,
  /** What the MCP SDKs answer for transport-level refusals (400, 403, 405, 413, 415, 503). */
  Refused: -32000,
  /** What the MCP SDKs answer for an unknown or ended session (404). */
  SessionNotFound: -32001,
} as const;

/**
 * Answers an HTTP request with a JSON-RPC error, `id: null` since the
 * message was never read far enough to know its id. The SDK's SSE client
 * puts the body of a failed POST in the error it throws, so its users see
 * the code and the reason.
 */
export function sendJsonRpcError(
  res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    // Too late for a status: ending the stream is the only signal left.
    res.end();
    return;
  }
  const body = JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message } });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** Why a body was refused: the HTTP status and the JSON-RPC error to answer with. */
export interface BodyRefusal {
  status: number;
  code: number;
  message: string;
  /** Set when the rest of the body was not read, so the connection must not be reused. */
  closeConnection?: boolean;
}

export type BodyResult = { ok: true; value: unknown } | ({ ok: false } & BodyRefusal);

const isJson = (value: string | undefined): boolean =>
  value !== undefined && value.split(';')[0]?.trim().toLowerCase() === 'application/json';

const TOO_LARGE = Symbol('too large');

/**
 * Reads a POST body and parses it as JSON: 415 for another `Content-Type`,
 * 413 past `maxBytes` (by `Content-Length` before reading, and while
 * reading for chunked bodies), 400 with a parse error for what is not JSON.
 * The same rules as the streamable HTTP side, so one proxy answers alike on
 * both endpoints.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  if (!isJson(req.headers['content-type'])) {
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

/**
 * The body, up to `maxBytes`. Past that it stops reading and leaves the
 * socket paused rather than destroying the request, which would take the
 * 413 answer down with the socket.
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
