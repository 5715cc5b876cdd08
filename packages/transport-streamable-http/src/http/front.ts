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
  /**
   * `path` is the request's path: an authenticator may answer for several endpoints, each its own
   * resource. A verdict it has at hand (an API key, a token it verified before) may come back as it
   * is rather than as a promise, which spares the hot path a turn of the event loop.
   */
  authenticate(headers: IncomingHttpHeaders, path?: string): HttpAuthOutcome | Promise<HttpAuthOutcome>;
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

/**
 * Where a request carries the principal it was authenticated as: a property of its own, set on
 * every authenticated request alike (a `WeakMap` entry per request costs the collector more).
 */
const PRINCIPAL = Symbol('mcproxy.principal');
type Authenticated = IncomingMessage & { [PRINCIPAL]?: Principal };

/** What stands in front of a face: true when it answered the request itself; a promise only while an authenticator works. */
export type Front = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

/** The principal the face authenticated this request as; undefined when the face has no `auth`. */
export function principalOf(req: IncomingMessage): Principal | undefined {
  return (req as Authenticated)[PRINCIPAL];
}

/**
 * The checks every request to an HTTP face passes before it is routed:
 * a CORS preflight is answered; an RFC 9728 metadata document is served to
 * anyone (with CORS, since browser clients fetch it); everything else must
 * authenticate, or gets the authenticator's refusal (401/403 with
 * `WWW-Authenticate`, or 503) with a JSON-RPC error body. The principal is
 * kept for `principalOf`. True (or a promise of it, while the authenticator
 * works) when the request was answered.
 */
export function createFront(options: FrontOptions): Front | undefined {
  const { auth, log } = options;
  const cors: Cors | undefined = options.cors === undefined ? undefined : createCors(options.cors);
  if (auth === undefined && cors === undefined) return undefined;
  return function front(req, res) {
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
    const outcome = auth.authenticate(req.headers, path);
    return outcome instanceof Promise ? outcome.then((found) => judged(req, res, found)) : judged(req, res, outcome);
  };
  function judged(req: IncomingMessage, res: ServerResponse, outcome: HttpAuthOutcome): boolean {
    if (!outcome.ok) {
      // A body still on its way is dropped after the answer, and the connection closed then.
      const rest: Record<string, string> = req.complete ? {} : { Connection: 'close' };
      discardBody(req, options.maxBodyBytes);
      log.debug({ method: req.method, reason: outcome.reason, status: outcome.status }, 'request refused: not authenticated');
      sendJsonRpcError(res, outcome.status, HttpErrorCode.Refused, outcome.message, { ...outcome.headers, ...rest });
      return true;
    }
    if (outcome.principal !== undefined) (req as Authenticated)[PRINCIPAL] = outcome.principal;
    return false;
  }
}
