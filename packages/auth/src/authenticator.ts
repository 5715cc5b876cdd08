import type { IncomingHttpHeaders } from 'node:http';
import { ConfigError, silentLogger, throttledWarn, type Logger, type Principal } from '@mcproxy/core';
import { ApiKeys } from './api-keys.js';
import { JwtVerifier, type TokenFailure, type TokenResult } from './jwt.js';
import { metadataOf, metadataPaths, metadataUrl, type ResourceMetadata } from './metadata.js';
import { authOptionsSchema, type AuthOptions, type ResolvedAuthOptions } from './options.js';

/** Why a request was refused, for logs and for metrics (`onFailure`). */
export type AuthFailureReason = 'missing' | 'bad-key' | 'insufficient-scope' | TokenFailure;

/** The verdict on one HTTP request: who sent it, or the answer to refuse it with. */
export type AuthOutcome =
  | { ok: true; principal: Principal | undefined }
  | { ok: false; status: 401 | 403 | 503; headers: Record<string, string>; message: string; reason: AuthFailureReason };

/** What an HTTP face needs from authentication: a verdict per request, and the documents it serves to anyone. */
export interface Authenticator {
  /** A verdict at hand (an API key, a token verified before) comes back as it is; a token to verify, as a promise. */
  authenticate(headers: IncomingHttpHeaders): AuthOutcome | Promise<AuthOutcome>;
  /** Documents served without credentials by path (RFC 9728 metadata, when `jwt` is set). */
  readonly documents: ReadonlyMap<string, unknown>;
}

export interface CreateAuthOptions {
  /** MCP endpoint paths of the faces, for the path-suffixed metadata URLs (the resource's own path is always served). */
  mcpPaths?: readonly string[];
  /** Called once per refused request with why: the hook metrics count auth failures by. */
  onFailure?: (reason: AuthFailureReason) => void;
  /**
   * Called for each request a verified JWT let in, with its principal and
   * the token: what token exchange (RFC 8693) trades for an upstream's
   * token. Never for an API key. Keep the token in memory only; never log it.
   * A hook that throws is logged (without the token) and ignored.
   */
  onAuthenticated?: (principal: Principal, token: string) => void;
  log?: Logger;
}

const quoted = (v: string): string => `"${v.replace(/["\\]/g, '')}"`;
const JWT_SHAPE = /^[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

/** The credential a request carries: `Authorization: Bearer …`, else `X-API-Key`. */
function credentialOf(headers: IncomingHttpHeaders): { token: string; from: 'bearer' | 'x-api-key' } | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer +(\S+) *$/i.exec(auth);
    if (m?.[1] !== undefined) return { token: m[1], from: 'bearer' };
  }
  const key = headers['x-api-key'];
  if (typeof key === 'string' && key !== '') return { token: key, from: 'x-api-key' };
  return undefined;
}

/**
 * Builds the authenticator for `auth:` (options checked with
 * `authOptionsSchema`; a bad one throws a `ConfigError` naming each path). A
 * request is let in with a principal when its Bearer token or `X-API-Key`
 * is a configured key (compared in constant time), or its Bearer token is
 * a JWT that verifies (see `JwtVerifier`) and grants the required scopes.
 * Otherwise the refusal follows RFC 6750 and the MCP authorization spec:
 * 401 with `WWW-Authenticate: Bearer` (`resource_metadata` and `scope` when
 * `jwt` is set; `error="invalid_token"` when a credential was wrong), 403
 * `insufficient_scope`, or 503 when the issuer's keys cannot be fetched.
 * The token itself is never logged, stored or passed on.
 *
 * @example
 * const auth = createAuthenticator({ apiKeys: [{ id: 'ci', key: process.env.CI_KEY }] }, { log });
 * await serveStreamableHttp(proxy, { auth });
 */
export function createAuthenticator(options: AuthOptions | ResolvedAuthOptions, env: CreateAuthOptions = {}): Authenticator {
  const parsed = authOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new ConfigError(`invalid auth options:\n${parsed.error.issues.map((i) => `  ${['auth', ...i.path].join('.')}: ${i.message}`).join('\n')}`);
  }
  const resolved = parsed.data;
  const log = env.log ?? silentLogger;
  const keys = new ApiKeys(resolved.apiKeys ?? []);
  const jwt = resolved.jwt;
  const verifier = jwt === undefined ? undefined : new JwtVerifier(jwt);
  const documents = new Map<string, ResourceMetadata>();
  if (jwt !== undefined) for (const path of metadataPaths(jwt, env.mcpPaths ?? [])) documents.set(path, metadataOf(jwt));
  const resourceMetadata = jwt === undefined ? undefined : metadataUrl(jwt);
  const required = jwt?.scopes ?? [];
  const warn = throttledWarn(log, 'request refused: not authenticated');

  const challenge = (extra: Record<string, string>): string => {
    const params: Record<string, string> = { realm: 'mcproxy', ...extra };
    if (resourceMetadata !== undefined) params.resource_metadata = resourceMetadata;
    if (required.length > 0 && params.scope === undefined) params.scope = required.join(' ');
    return `Bearer ${Object.entries(params)
      .map(([k, v]) => `${k}=${quoted(v)}`)
      .join(', ')}`;
  };
  const refuse = (status: 401 | 403 | 503, reason: AuthFailureReason, message: string, error?: string): AuthOutcome => {
    env.onFailure?.(reason);
    warn({ reason, status });
    const headers: Record<string, string> =
      status === 503 ? { 'Retry-After': '5' } : { 'WWW-Authenticate': challenge(error === undefined ? {} : { error, error_description: message }) };
    return { ok: false, status, headers, message, reason };
  };

  return {
    documents,
    authenticate(headers) {
      if (resolved.allowUnauthenticated) return { ok: true, principal: undefined };
      const credential = credentialOf(headers);
      if (credential === undefined) return refuse(401, 'missing', 'Unauthorized: this endpoint needs a bearer token or an API key');
      const byKey = keys.size > 0 ? keys.match(credential.token) : undefined;
      if (byKey !== undefined) return { ok: true, principal: byKey };
      if (verifier === undefined || credential.from === 'x-api-key' || !JWT_SHAPE.test(credential.token)) {
        return refuse(401, 'bad-key', 'Unauthorized: the credential is not valid', 'invalid_token');
      }
      const result = verifier.verify(credential.token);
      return result instanceof Promise ? result.then((found) => admitted(found, credential.token)) : admitted(result, credential.token);
    },
  };

  function admitted(result: TokenResult, token: string): AuthOutcome {
    if (!result.ok) {
      if (result.failure === 'unavailable') return refuse(503, 'unavailable', `Service Unavailable: ${result.detail}`);
      return refuse(401, result.failure, `Unauthorized: ${result.detail}`, 'invalid_token');
    }
    const missing = required.filter((s) => !result.principal.scopes.includes(s));
    if (missing.length > 0) {
      return refuse(403, 'insufficient-scope', `Forbidden: the token lacks the scope ${missing.join(' ')}`, 'insufficient_scope');
    }
    if (env.onAuthenticated !== undefined) {
      try {
        env.onAuthenticated(result.principal, token);
      } catch (err) {
        log.warn({ err: err instanceof Error ? err.message : String(err) }, 'auth: the onAuthenticated hook failed; the request goes on');
      }
    }
    return { ok: true, principal: result.principal };
  }
}
