import type { IncomingMessage, ServerResponse } from 'node:http';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '@mcproxy/core';
import { readJsonBody } from './body.js';
import { hopsFromHeader } from './hops.js';
import type { HostGuard } from './host-guard.js';
import { HttpErrorCode, sendJsonRpcError } from './replies.js';
import type { Sessions } from './sessions.js';

export interface HandlerOptions {
  path: string;
  guard: HostGuard;
  sessions: Sessions;
  maxBodyBytes: number;
  log: Logger;
  /** True once the server is shutting down: new work is refused. */
  closing(): boolean;
}

const ALLOWED_METHODS = new Set(['GET', 'POST', 'DELETE']);

/**
 * Routes one HTTP request the way the Streamable HTTP spec asks of a
 * stateful server, up to the point where a session's SDK transport takes
 * over: Host/Origin check, path, method, body, then the session by
 * `Mcp-Session-Id` (unknown → 404), or a new one for an `initialize` POST
 * that carries none (anything else without one → 400). Everything after
 * that (Accept, `MCP-Protocol-Version`, SSE streams, resumption, DELETE) is
 * the SDK transport's.
 */
export function createRequestHandler(options: HandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { path, guard, sessions, maxBodyBytes, log } = options;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (options.closing()) {
      return sendJsonRpcError(res, 503, HttpErrorCode.Refused, 'Service Unavailable: the proxy is shutting down', { Connection: 'close' });
    }
    const refusal = guard(req.headers);
    if (refusal !== undefined) {
      log.warn({ method: req.method, reason: refusal }, 'request refused (DNS-rebinding protection)');
      return sendJsonRpcError(res, 403, HttpErrorCode.Refused, `Forbidden: ${refusal}`);
    }
    const pathname = pathOf(req.url);
    if (pathname !== path) return sendJsonRpcError(res, 404, HttpErrorCode.Refused, `Not Found: the MCP endpoint is ${path}`);
    const method = req.method ?? '';
    if (!ALLOWED_METHODS.has(method)) {
      return sendJsonRpcError(res, 405, HttpErrorCode.Refused, `Method Not Allowed: ${method}`, { Allow: 'GET, POST, DELETE' });
    }

    let body: unknown;
    if (method === 'POST') {
      const read = await readJsonBody(req, maxBodyBytes);
      if (!read.ok) return sendJsonRpcError(res, read.status, read.code, read.message, read.closeConnection ? { Connection: 'close' } : {});
      body = hopsFromHeader(read.value, req.headers);
    }

    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const session = sessions.get(sessionId);
      // 404 is the spec's way of telling a client to start over with initialize.
      if (session === undefined) return sendJsonRpcError(res, 404, HttpErrorCode.SessionNotFound, 'Session not found');
      session.idle.track(res);
      if (method === 'POST' && session.direct?.take(req, res, body)) return;
      if (method === 'GET' && session.direct?.resume(req, res)) return;
      return session.transport.handleRequest(req, res, body);
    }
    if (method === 'POST' && isInitializeRequest(body)) return sessions.open(req, res, body);
    if (method === 'POST' && Array.isArray(body) && body.some((m) => isInitializeRequest(m))) {
      return sendJsonRpcError(res, 400, HttpErrorCode.InvalidRequest, 'Invalid Request: initialize must be sent alone, not in a batch');
    }
    return sendJsonRpcError(res, 400, HttpErrorCode.Refused, 'Bad Request: Mcp-Session-Id header is required');
  };

  return function handleStreamableHttp(req, res) {
    handle(req, res).catch((err: unknown) => {
      log.error({ err, method: req.method }, 'request failed');
      sendJsonRpcError(res, 500, HttpErrorCode.InternalError, 'Internal error: the proxy could not handle this request');
    });
  };
}

/** The path of a request target, without parsing a whole URL on every request. */
function pathOf(target: string | undefined): string {
  const url = target ?? '/';
  if (!url.startsWith('/')) return new URL(url, 'http://localhost').pathname;
  const end = url.search(/[?#]/);
  return end < 0 ? url : url.slice(0, end);
}
