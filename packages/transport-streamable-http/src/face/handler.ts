import type { IncomingMessage, ServerResponse } from 'node:http';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { MODERN_VERSION, samePrincipal, type LimitReporter, type Limits, type Logger, type Proxy } from '@mcproxy/core';
import { readJsonBody } from '../http/body.js';
import { principalOf } from '../http/front.js';
import { sessionRefusal } from './principal-share.js';
import { hopsFromHeader } from '../http/hops.js';
import { traceFromHeaders } from '../http/trace-context.js';
import type { HostGuard } from '../http/host-guard.js';
import { HttpErrorCode, idOf, sendErrorResponse, sendJsonRpcError, sendLimitReply, targetOf } from '../http/replies.js';
import type { Sessions } from './sessions/sessions.js';
import { answerFailure } from '../http/listen.js';
import { refusedAtTheDoor } from '../http/door.js';
import { isModernHeader, isModernPost } from './modern/modern-headers.js';
import type { ModernPosts } from './modern/modern-posts.js';
import type { ReplicaRouter } from './replicas/router.js';

export interface HandlerOptions {
  path: string;
  guard: HostGuard;
  sessions: Sessions;
  /** The 2026-07-28 requests of this face: POSTs without a session that are modern. */
  modern: ModernPosts;
  maxBodyBytes: number;
  log: Logger;
  /** Whose `sessions` count toward `limits.sessions` (every face's). */
  proxy: Proxy;
  limits: Limits;
  limitReporter: LimitReporter;
  /** True once the server is shutting down: new work is refused. */
  closing(): boolean;
  /** With replicas: a session held elsewhere is forwarded to its owner, or taken over when its owner is gone. */
  replicas?: ReplicaRouter | undefined;
}

const ALLOWED_METHODS = new Set(['GET', 'POST', 'DELETE']);

/**
 * Routes one HTTP request on an endpoint that serves both eras: Host/Origin
 * check, path, method, body, then the session by `Mcp-Session-Id` (unknown
 * → 404), or a new one for an `initialize` POST that carries none. A POST
 * without a session that is a 2026-07-28 one (see `isModernPost`) is served
 * statelessly by `ModernPosts`; a GET or DELETE that names a modern
 * revision is 405, since a modern server has no stream to GET and no
 * session to DELETE. Anything else without a session is 400, as before.
 * Everything a legacy session does after routing (Accept,
 * `MCP-Protocol-Version`, SSE streams, resumption, DELETE) is the SDK
 * transport's or its hot path's.
 */
export function createRequestHandler(options: HandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { path, guard, sessions, modern, maxBodyBytes, log, proxy, limits, limitReporter, replicas } = options;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (refusedAtTheDoor(req, res, options.closing(), guard, maxBodyBytes, log)) return;
    const target = targetOf(req.url);
    if (target === undefined) return sendJsonRpcError(res, 400, HttpErrorCode.Refused, 'Bad Request: the request target is not a URL');
    if (target.pathname !== path) return sendJsonRpcError(res, 404, HttpErrorCode.Refused, `Not Found: the MCP endpoint is ${path}`);
    const method = req.method ?? '';
    if (!ALLOWED_METHODS.has(method)) {
      return sendJsonRpcError(res, 405, HttpErrorCode.Refused, `Method Not Allowed: ${method}`, { Allow: 'GET, POST, DELETE' });
    }

    let body: unknown;
    let raw: Buffer[] | undefined;
    if (method === 'POST') {
      const read = await readJsonBody(req, maxBodyBytes);
      if (!read.ok) {
        if (read.status === 413) limitReporter.hit('clientMessageBytes', maxBodyBytes, { transport: 'streamable-http' });
        return sendJsonRpcError(res, read.status, read.code, read.message, read.closeConnection ? { Connection: 'close' } : {}, read.data);
      }
      raw = read.raw;
      body = traceFromHeaders(hopsFromHeader(read.value, req.headers), req.headers);
    }

    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      let session = sessions.get(sessionId);
      if (replicas !== undefined) {
        const forwarded = replicas.checkForwarded(req, res, sessionId);
        if (forwarded === 'answered') return;
        // A session handed over while this request looked is routed again, to where it went (a few times at most).
        for (let tries = 0; session === undefined && tries < 3; tries++) {
          const routed =
            forwarded === 'forwarded' ? await replicas.forwardedHere(req, res, sessionId) : await replicas.route(req, res, sessionId, raw, idOf(body));
          if (routed === 'answered') return;
          session = await sessions.adopt(routed.adopt);
        }
      }
      // 404 is the spec's way of telling a client to start over with initialize.
      // A session is bound to whoever opened it: to anyone else its id names nothing.
      if (session === undefined || !samePrincipal(session.core?.principal, principalOf(req))) {
        return sendJsonRpcError(res, 404, HttpErrorCode.SessionNotFound, 'Session not found');
      }
      session.idle.track(res);
      if (method === 'POST' && session.direct?.take(req, res, body)) return;
      if (method === 'GET' && (session.direct?.resume(req, res) === true || session.direct?.openStandalone(req, res) === true)) return;
      return session.transport.handleRequest(req, res, body);
    }
    if (method === 'POST' && isInitialize(body)) {
      // Every face's sessions count: the limit is on what the proxy holds, not on one port; and one principal holds a share of it.
      const refused = sessionRefusal(proxy, principalOf(req), limits, limitReporter, 'streamable-http');
      if (refused !== undefined) return sendLimitReply(res, refused.status, refused.reply, { 'Retry-After': '5' });
      return sessions.open(req, res, body);
    }
    if (method === 'POST' && Array.isArray(body) && body.some(isInitialize)) {
      return sendJsonRpcError(res, 400, HttpErrorCode.InvalidRequest, 'Invalid Request: initialize must be sent alone, not in a batch');
    }
    if (method === 'POST' && isModernPost(req.headers, body)) return modern.serve(req, res, body, raw);
    // Only a client that names a modern revision is told so: a legacy GET or DELETE without a session stays 400.
    if (method !== 'POST' && isModernHeader(req.headers)) {
      return sendJsonRpcError(res, 405, HttpErrorCode.Refused, `Method Not Allowed: MCP ${MODERN_VERSION} has no ${method} on this endpoint`, {
        Allow: 'POST',
      });
    }
    // Neither a session's nor a modern request: the legacy answer, with the request's id when it had one.
    return sendErrorResponse(res, 400, idOf(body), { code: HttpErrorCode.Refused, message: 'Bad Request: Mcp-Session-Id header is required' });
  };

  return function handleStreamableHttp(req, res) {
    handle(req, res).catch((err: unknown) => answerFailure(log, req, res, err));
  };
}

/**
 * An `initialize` request, as the SDK's schema judges one. The method is looked at first: the
 * schema's verdict on anything else (every 2026-07-28 POST comes here) costs a failed parse.
 */
function isInitialize(message: unknown): boolean {
  return (message as { method?: unknown } | null)?.method === 'initialize' && isInitializeRequest(message);
}
