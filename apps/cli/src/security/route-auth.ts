import type { IncomingHttpHeaders } from 'node:http';
import { createAuthenticator, type AuthFailureReason } from '@mcproxy/auth';
import type { Logger, Principal } from '@mcproxy/core';
import type { HttpAuthenticator, HttpAuthOutcome } from '@mcproxy/transport-streamable-http';
import type { Pipeline } from '../config/schema.js';

type AuthSection = NonNullable<Pipeline['auth']>;

/**
 * The `auth:` a route answers to: its own, else the top-level one with a
 * JWT's resource identifier made the route's (its path replaced by the
 * route's path), so that a token minted for `/mcp` is refused at `/b` and
 * `/b` publishes metadata of its own. An audience that is not a URL has no
 * path to replace: the route then shares it (logged at startup).
 */
export function routeAuthSection(top: Pipeline['auth'], own: Pipeline['auth'], path: string, log: Logger): Pipeline['auth'] {
  if (own !== undefined) return own;
  if (top?.jwt === undefined) return top;
  const jwt = top.jwt;
  const moved = (id: string): string | undefined => (URL.canParse(id) ? new URL(path, id).href : undefined);
  const audience = moved(jwt.audience);
  if (audience === undefined) {
    log.warn(
      { route: path },
      'the JWT audience is not a URL: this route accepts tokens meant for the top-level endpoint (give the route an auth section of its own)',
    );
    return top;
  }
  const resource = jwt.resource === undefined ? undefined : moved(jwt.resource);
  return { ...top, jwt: { ...jwt, audience, ...(resource === undefined ? {} : { resource }) } };
}

const OPEN: HttpAuthenticator = {
  authenticate: async () => ({ ok: true, principal: undefined }),
  documents: new Map(),
};

/**
 * One authenticator per endpoint path: each route answers to its own
 * `auth:` (see `routeAuthSection`); every other path (the top-level
 * endpoint, the SSE paths, unknown paths) to the top-level one. The
 * documents of all of them are served, the top-level ones winning where
 * they share a path (the bare well-known URL).
 */
export class RoutedAuth implements HttpAuthenticator {
  readonly documents: ReadonlyMap<string, unknown>;
  constructor(
    private readonly top: HttpAuthenticator,
    private readonly byPath: ReadonlyMap<string, HttpAuthenticator>,
  ) {
    const documents = new Map<string, unknown>();
    for (const auth of [...byPath.values(), top]) for (const [p, d] of auth.documents) documents.set(p, d);
    this.documents = documents;
  }
  authenticate(headers: IncomingHttpHeaders, path?: string): HttpAuthOutcome | Promise<HttpAuthOutcome> {
    return ((path === undefined ? undefined : this.byPath.get(path)) ?? this.top).authenticate(headers);
  }
}

/**
 * The faces' authenticator for a pipeline: the top-level `auth:` for its
 * endpoints, each route's for the route. Undefined when nothing anywhere
 * asks for credentials.
 */
export function routedAuthFor(
  pipeline: Pipeline,
  log: Logger,
  onFailure?: (reason: AuthFailureReason) => void,
  onAuthenticated?: (principal: Principal, token: string) => void,
): HttpAuthenticator | undefined {
  const make = (section: AuthSection | undefined, mcpPaths: string[], route?: string): HttpAuthenticator | undefined => {
    if (section === undefined || section.allowUnauthenticated) return undefined;
    const child = log.child(route === undefined ? { auth: true } : { auth: true, route });
    return createAuthenticator(section, {
      mcpPaths,
      log: child,
      ...(onFailure === undefined ? {} : { onFailure }),
      ...(onAuthenticated === undefined ? {} : { onAuthenticated }),
    });
  };
  const { http, sse } = pipeline.serve;
  const top = make(
    pipeline.auth,
    [http?.path, sse?.path].filter((p): p is string => p !== undefined),
  );
  const byPath = new Map<string, HttpAuthenticator>();
  for (const [path, route] of Object.entries(pipeline.routes)) {
    const auth = make(routeAuthSection(pipeline.auth, route.auth, path, log), [path], path);
    byPath.set(path, auth ?? OPEN);
  }
  if (top === undefined && [...byPath.values()].every((a) => a === OPEN)) return undefined;
  return byPath.size === 0 ? top : new RoutedAuth(top ?? OPEN, byPath);
}

/** What decides whether a reload must build the faces' authenticator again: every `auth:` and the routes it covers. */
export const authFingerprint = (pipeline: Pipeline): string =>
  JSON.stringify([pipeline.auth, Object.entries(pipeline.routes).map(([path, route]) => [path, route.auth ?? null])]);
