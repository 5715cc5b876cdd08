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
