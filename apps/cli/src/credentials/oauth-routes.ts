import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@mcproxy/core';
import {
  createHostGuard,
  discardBody,
  refusedAtTheDoor,
  targetOf,
  type HttpAuthenticator,
  type HttpAuthOutcome,
  type MountedHandler,
} from '@mcproxy/transport-streamable-http';

/** Where a browser starts a user's authorization, and where the authorization server sends it back (upstream-auth's OAUTH_START_PATH, OAUTH_CALLBACK_PATH). */
export const OAUTH_PATHS: ReadonlySet<string> = new Set(['/oauth/start', '/oauth/callback']);

/** An answer of the flows, as upstream-auth's `HttpAnswer`. */
export interface PageAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What the two routes need of upstream-auth's `AuthorizationFlows`. */
export interface OAuthPages {
  start(query: URLSearchParams, cookieHeader: string | undefined): Promise<PageAnswer>;
  callback(query: URLSearchParams, cookieHeader: string | undefined): Promise<PageAnswer>;
}

/** The HTTP face's settings the routes share, so they pass the same Host/Origin guard as the MCP endpoint. */
export interface FaceGuard {
  host: string;
  allowedHosts?: string[] | undefined;
  allowedOrigins?: string[] | undefined;
  dnsRebindingProtection: boolean;
  cors?: { origins: string[] } | undefined;
}

// The callback's URL holds a code: no page it leads to may learn it, and nothing may be kept.
const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
};

/**
 * GET /oauth/start and GET /oauth/callback on the HTTP face, answered by
 * the process's authorization flows. No principal is asked for (a browser
 * comes without the client's token: the flow's cookie and `state` bind it
 * to the principal that was asked to authorize), but the Host/Origin guard
 * is the face's own. Neither the query (a code, a state) nor the cookie is
 * ever logged.
 */
export function oauthRoutes(pages: OAuthPages, face: FaceGuard, log: Logger, maxBodyBytes: number): MountedHandler {
  const guard = face.dnsRebindingProtection
    ? createHostGuard({ bindHost: face.host, allowedHosts: face.allowedHosts, allowedOrigins: face.allowedOrigins, corsOrigins: face.cors?.origins })
    : () => undefined;
  let closing = false;
  const serve = async (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      discardBody(req, maxBodyBytes);
      res.writeHead(405, { ...PAGE_HEADERS, Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Method Not Allowed\n');
      return;
    }
    let answer: PageAnswer;
    try {
      answer = await (path === '/oauth/start' ? pages.start(query, req.headers.cookie) : pages.callback(query, req.headers.cookie));
    } catch (err) {
      // Its name only: a message might quote what the authorization server said.
      log.warn({ path, error: err instanceof Error ? err.name : typeof err }, 'oauth: a page failed');
      answer = { status: 500, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: 'The authorization could not be completed; try again.\n' };
    }
    if (res.headersSent) return;
    res.writeHead(answer.status, { ...PAGE_HEADERS, ...answer.headers, 'Content-Length': String(Buffer.byteLength(answer.body)) });
    res.end(req.method === 'HEAD' ? undefined : answer.body);
  };
  return {
    handle(req, res) {
      const target = targetOf(req.url);
      if (target === undefined || !OAUTH_PATHS.has(target.pathname)) return false;
      if (refusedAtTheDoor(req, res, closing, guard, maxBodyBytes, log)) return true;
      void serve(req, res, target.pathname, target.query).catch((err: unknown) => {
        log.warn({ error: err instanceof Error ? err.name : typeof err }, 'oauth: answering a page failed');
        res.destroy();
      });
      return true;
    },
    async close() {
      closing = true;
    },
  };
}

/**
 * The face's authenticator with the OAuth routes let through without a
 * principal (a browser following a link has no token); every other path is
 * judged as before.
 */
export function withOAuthPaths(auth: HttpAuthenticator): HttpAuthenticator {
  return {
    get documents() {
      return auth.documents;
    },
    authenticate(headers: IncomingHttpHeaders, path?: string): HttpAuthOutcome | Promise<HttpAuthOutcome> {
      if (path !== undefined && OAUTH_PATHS.has(path)) return { ok: true, principal: undefined };
      return auth.authenticate(headers, path);
    },
  };
}

/**
 * Warns when the host of `publicUrl` is one the face's Host check refuses:
 * a browser coming back to `<publicUrl>/oauth/callback` would then be
 * refused, unless a gateway in front rewrites Host (which is why this is a
 * warning, not a refusal).
 */
export function warnUnreachableCallback(face: FaceGuard & { publicUrl?: string | undefined }, log: Logger): void {
  if (face.publicUrl === undefined || !face.dnsRebindingProtection) return;
  const guard = createHostGuard({ bindHost: face.host, allowedHosts: face.allowedHosts });
  const { host, hostname } = new URL(face.publicUrl);
  if (guard({ host }) === undefined) return;
  log.warn(
    { publicUrl: face.publicUrl, allowedHosts: face.allowedHosts },
    `serve.http.publicUrl: this face refuses Host ${host}, so a browser coming back to /oauth/callback would be refused; add "${hostname}" to serve.http.allowedHosts (unless a gateway in front rewrites Host)`,
  );
}
