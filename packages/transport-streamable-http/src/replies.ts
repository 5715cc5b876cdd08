import type { ServerResponse } from 'node:http';

/** JSON-RPC codes the HTTP layer answers with before a message reaches a session. */
export const HttpErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  InternalError: -32603,
  /** What the SDK answers for transport-level refusals (406, 409, 413, 415, 403). */
  Refused: -32000,
  /** What the SDK answers for an unknown or terminated session (404). */
  SessionNotFound: -32001,
} as const;

/**
 * Answers an HTTP request with a JSON-RPC error (`id: null`: the message was
 * never read far enough to know its id). Clients that only understand
 * JSON-RPC still get a code and a message they can show.
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
