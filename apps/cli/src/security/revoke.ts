import { createHash } from 'node:crypto';
import { silentLogger, type Logger, type Principal, type Proxy } from '@mcproxy/core';
import type { Pipeline } from '../config/schema.js';
import { routeAuthSection } from './route-auth.js';

type AuthSection = NonNullable<Pipeline['auth']>;
type Jwt = AuthSection['jwt'];
type Key = NonNullable<AuthSection['apiKeys']>[number];

/** A key as what it admits: its secret (by digest, however written) and the scopes it grants. */
const keyOf = (k: Key): string =>
  JSON.stringify([
    (
      k.sha256 ??
      createHash('sha256')
        .update(k.key ?? '')
        .digest('hex')
    ).toLowerCase(),
    k.scopes,
  ]);
/** What a verified token was checked against: a change here may refuse tokens that passed. */
const tokenRules = (jwt: Jwt): string =>
  jwt === undefined ? '' : JSON.stringify([jwt.jwksUrl, jwt.issuer, jwt.audience, jwt.resource ?? null, jwt.scopes, jwt.algorithms ?? null]);

/**
 * Which principals a change of `auth:` takes the right from: an API key
 * removed, or given another secret or other scopes; every JWT subject when
 * what tokens are checked against changed (issuer, key set, audience,
 * resource, required scopes, algorithms), since the proxy keeps no token to
 * check again. Their clients may come back with what is valid now.
 */
export function revokedBy(before: Pipeline['auth'], after: Pipeline['auth']): (principal: Principal) => boolean {
  if (before === undefined || before.allowUnauthenticated) return () => false;
  const now = new Map((after?.apiKeys ?? []).map((k) => [k.id, keyOf(k)]));
  const keys = new Set((before.apiKeys ?? []).filter((k) => now.get(k.id) !== keyOf(k)).map((k) => k.id));
  const tokens = before.jwt !== undefined && tokenRules(before.jwt) !== tokenRules(after?.jwt);
  return (p) => (p.kind === 'api-key' ? keys.has(p.id) : tokens);
}

/** The `auth:` the endpoint at `path` answers to in `pipeline`: a route's (see `routeAuthSection`), else the top-level one. */
export function sectionAt(pipeline: Pipeline, path: string): Pipeline['auth'] {
  const route = pipeline.routes[path];
  return route === undefined ? pipeline.auth : routeAuthSection(pipeline.auth, route.auth, path, silentLogger);
}

/**
 * Closes the sessions (and with them their open streams and requests) of
 * the principals `revoked` names, on one endpoint's proxy: a revoked
 * credential must not keep a stream it opened before. Returns how many.
 */
export function closeRevoked(proxy: Proxy, revoked: (principal: Principal) => boolean, path: string, log: Logger): number {
  let closed = 0;
  for (const session of [...proxy.sessions]) {
    if (session.principal === undefined || !revoked(session.principal)) continue;
    closed++;
    void session.peer.close('its credential was revoked').catch((err: unknown) => log.debug({ err }, 'closing a revoked session failed'));
  }
  if (closed > 0) log.info({ route: path, sessions: closed }, 'closed the sessions of revoked credentials');
  return closed;
}
