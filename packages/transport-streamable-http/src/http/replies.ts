import type { ServerResponse } from 'node:http';

/**
 * JSON-RPC codes the HTTP layer answers with before a message reaches a
 * session, on every HTTP endpoint of the proxy (Streamable HTTP and the
 * legacy SSE transport alike), so clients see one set whichever they use.
 */
export const HttpErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  InternalError: -32603,
  /** What the MCP SDKs answer for transport-level refusals (400, 403, 405, 406, 409, 413, 415, 503). */
  Refused: -32000,
  /** What the MCP SDKs answer for an unknown or ended session (404). */
  SessionNotFound: -32001,
} as const;

/**
 * Answers an HTTP request with a JSON-RPC error (`id: null`: the message was
 * never read far enough to know its id). Clients that only understand
 * JSON-RPC still get a code and a message they can show; the SDKs' clients
 * put the body of a failed POST in the error they throw.
 *
 * @example
 * sendJsonRpcError(res, 405, HttpErrorCode.Refused, 'Method Not Allowed: PUT', { Allow: 'GET, POST' });
 */
export function sendJsonRpcError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
  data?: Record<string, unknown>,
): void {
  if (res.headersSent) {
    // Too late for a status: ending the stream is the only signal left.
    res.end();
    return;
  }
  const body = JSON.stringify({ jsonrpc: '2.0', id: null, error: data === undefined ? { code, message } : { code, message, data } });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/**
 * Answers a request refused by a limit: the HTTP `status`, and core's
 * `limitReply` (-32016, `data.limit` and `data.value`) as the body.
 *
 * @example
 * sendLimitReply(res, 503, limitReply('sessions', 1000, 'no new session'));
 */
export function sendLimitReply(
  res: ServerResponse,
  status: number,
  reply: { error?: { code: number; message: string; data?: unknown } | undefined },
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify({ jsonrpc: '2.0', id: null, error: reply.error });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** A request target split into path and query, or undefined when it is not one a client could mean. */
export interface Target {
  pathname: string;
  query: URLSearchParams;
}

/**
 * Splits a request target without ever throwing. Origin-form (`/mcp?x=1`,
 * and `//a:99999/`, whose path is `//a:99999/`) is split by hand, as it is
 * on every request; anything else (absolute form such as
 * `http://x:99999/sse`, garbage) goes through `URL` inside a try, and a
 * target `URL` cannot read is undefined (answer 400).
 */
export function targetOf(target: string | undefined): Target | undefined {
  const url = target ?? '/';
  if (url.startsWith('/')) {
    const end = url.search(/[?#]/);
    if (end < 0) return { pathname: url, query: new URLSearchParams() };
    const hash = url.indexOf('#', end);
    return { pathname: url.slice(0, end), query: new URLSearchParams(url[end] === '?' ? url.slice(end + 1, hash < 0 ? undefined : hash) : '') };
  }
  try {
    const parsed = new URL(url, 'http://localhost');
    return { pathname: parsed.pathname, query: parsed.searchParams };
  } catch {
    return undefined;
  }
}

/**
 * Answers an HTTP request with the JSON-RPC error of the message it
 * carried, under that message's `id` (`null` when it had none): what a
 * 2026-07-28 client reads to tell a modern refusal (a header mismatch, an
 * unsupported revision) from a legacy server's.
 *
 * @example
 * sendErrorResponse(res, 400, request.id, { code: -32020, message: 'Header mismatch: the Mcp-Method header is required' });
 */
export function sendErrorResponse(
  res: ServerResponse,
  status: number,
  id: string | number | null,
  error: { code: number; message: string; data?: unknown },
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify({ jsonrpc: '2.0', id, error });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** The id of a body that is one JSON-RPC request (a string or a whole number), else null: what an error about it can name. */
export function idOf(body: unknown): string | number | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const id = (body as { id?: unknown }).id;
  return typeof id === 'string' || (typeof id === 'number' && Number.isInteger(id)) ? id : null;
}
