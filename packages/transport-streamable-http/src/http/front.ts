import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Logger, Principal } from '@mcproxy/core';
import { createCors, type Cors, type CorsOptions } from './cors.js';
import { discardBody } from './body.js';
import { HttpErrorCode, sendJsonRpcError, targetOf } from './replies.js';

/** The verdict of an authenticator on one request (what `@mcproxy/auth` gives). */
export type HttpAuthOutcome =
  | { ok: true; principal: Principal | undefined }
  | { ok: false; status: number; headers: Record<string, string>; message: string; reason: string };

/** What an HTTP face asks of authentication; `@mcproxy/auth`'s `createAuthenticator` makes one. */
export interface HttpAuthenticator {
  /** `path` is the request's path: an authenticator may answer for several endpoints, each its own resource. */
  authenticate(headers: IncomingHttpHeaders, path?: string): Promise<HttpAuthOutcome>;
  /** Documents anyone may GET, by path (the RFC 9728 metadata). */
  readonly documents: ReadonlyMap<string, unknown>;
}

/** What stands in front of every HTTP face: CORS, then public documents, then authentication. */
export interface FrontOptions {
  auth?: HttpAuthenticator | undefined;
  cors?: CorsOptions | undefined;
  /** A refused request's body is read and dropped after the answer (within a bound that grows with this), so the client reads the refusal. */
  maxBodyBytes: number;
  log: Logger;
}

const principals = new WeakMap<IncomingMessage, Principal>();

/** The principal the face authenticated this request as; undefined when the face has no `auth`. */
export function principalOf(req: IncomingMessage): Principal | undefined {
  return principals.get(req);
}

/**
 * The checks every request to an HTTP face passes before it is routed:
 * a CORS preflight is answered; an RFC 9728 metadata document is served to
 * anyone (with CORS, since browser clients fetch it); everything else must
 * authenticate, or gets the authenticator's refusal (401/403 with
 * `WWW-Authenticate`, or 503) with a JSON-RPC error body. The principal is
 * kept for `principalOf`. Resolves to true when the request was answered.
 */
export function createFront(options: FrontOptions): ((req: IncomingMessage, res: ServerResponse) => Promise<boolean>) | undefined {
  const { auth, log } = options;
  const cors: Cors | undefined = options.cors === undefined ? undefined : createCors(options.cors);
  if (auth === undefined && cors === undefined) return undefined;
  return async function front(req, res) {
    if (cors?.handle(req, res) === true) return true;
    if (auth === undefined) return false;
    const path = targetOf(req.url)?.pathname;
    const document = path === undefined ? undefined : auth.documents.get(path);
    if (document !== undefined) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendJsonRpcError(res, 405, HttpErrorCode.Refused, `Method Not Allowed: ${req.method ?? ''}`, { Allow: 'GET, HEAD' });
        return true;
      }
      const body = JSON.stringify(document);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'max-age=3600' });
      res.end(req.method === 'HEAD' ? undefined : body);
      return true;
    }
    const outcome = await auth.authenticate(req.headers, path);
    if (!outcome.ok) {
      // A body still on its way is dropped after the answer, and the connection closed then.
      const rest: Record<string, string> = req.complete ? {} : { Connection: 'close' };
      discardBody(req, options.maxBodyBytes);
      log.debug({ method: req.method, reason: outcome.reason, status: outcome.status }, 'request refused: not authenticated');
      sendJsonRpcError(res, outcome.status, HttpErrorCode.Refused, outcome.message, { ...outcome.headers, ...rest });
      return true;
    }
    if (outcome.principal !== undefined) principals.set(req, outcome.principal);
    return false;
  };
}
