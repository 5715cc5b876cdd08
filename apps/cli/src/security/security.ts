import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { resolve } from 'node:path';
import type { AuthFailureReason } from '@mcproxy/auth';
import { ConfigError, type Logger, type Principal } from '@mcproxy/core';
import type { HttpAuthenticator, HttpAuthOutcome, TlsMaterial } from '@mcproxy/transport-streamable-http';
import type { HttpServe, Pipeline } from '../config/schema.js';
import { routedAuthFor } from './route-auth.js';

/**
 * The authenticator for the pipeline's `auth:` sections, shared by every
 * HTTP and SSE face (undefined when none asks for credentials): the
 * top-level one, and each route's (see `routedAuthFor`). `onFailure` hears
 * each refusal with its reason, for metrics; `onAuthenticated` each verified
 * JWT, for token exchange.
 */
export function authFor(
  pipeline: Pipeline,
  log: Logger,
  onFailure?: (reason: AuthFailureReason) => void,
  onAuthenticated?: (principal: Principal, token: string) => void,
): HttpAuthenticator | undefined {
  return routedAuthFor(pipeline, log, onFailure, onAuthenticated);
}

/**
 * The authenticator the faces hold: it passes each request to the current
 * one, so a reload that changes `auth:` (a key added or revoked, another
 * issuer) swaps it without a restart. Requests already past the front keep
 * the principal they were given.
 */
export class AuthSwitch implements HttpAuthenticator {
  constructor(private current: HttpAuthenticator) {}
  authenticate(headers: IncomingHttpHeaders, path?: string): HttpAuthOutcome | Promise<HttpAuthOutcome> {
    return this.current.authenticate(headers, path);
  }
  get documents(): ReadonlyMap<string, unknown> {
    return this.current.documents;
  }
  swap(next: HttpAuthenticator): void {
    this.current = next;
  }
}

/** The metrics' word for an auth refusal (observability's `AUTH_REASONS`). */
export function metricReason(reason: AuthFailureReason): string {
  switch (reason) {
    case 'missing':
    case 'expired':
    case 'invalid':
      return reason;
    case 'wrong-audience':
      return 'audience';
    case 'wrong-issuer':
      return 'issuer';
    case 'insufficient-scope':
      return 'scope';
    case 'bad-key':
    case 'unknown-key':
    case 'bad-signature':
      return 'invalid';
    default:
      return 'other';
  }
}

/** Reads a face's certificate files (paths relative to the pipeline file); a file that cannot be read is a `ConfigError` naming it. */
export function readTls(tls: HttpServe['tls'], baseDir: string, face: string): TlsMaterial | undefined {
  if (tls === undefined) return undefined;
  const read = (name: 'cert' | 'key' | 'ca', path: string): string => {
    const full = resolve(baseDir, path);
    try {
      return readFileSync(full, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read serve.${face}.tls.${name} (${full}): ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  };
  return { cert: read('cert', tls.cert), key: read('key', tls.key), ...(tls.ca === undefined ? {} : { ca: read('ca', tls.ca) }) };
}

/** A face's options without the parts the CLI turns into something else first (`tls` paths become PEM). */
export function withoutTls<T extends { tls?: unknown }>(face: T): Omit<T, 'tls'> {
  const { tls: _tls, ...rest } = face;
  return rest;
}
