import { resolve } from 'node:path';
import { bindOnce, type LimitReporter, type Limits, type Logger, type SecretKeys, type UpstreamSpec } from '@mcproxy/core';
import type { ReplicaOptions } from '@mcproxy/transport-streamable-http';
import type { ListRelay } from './list-relay.js';
import { stdioUpstream } from '@mcproxy/transport-stdio';
import { urlUpstream } from '@mcproxy/transport-sse';
import type { Pipeline } from '../config/schema.js';
import type { CredentialHub } from '../credentials/hub.js';

/** What every transport and proxy is given, so that limits are the same everywhere and hits are counted once. */
export interface Bounds {
  limits: Limits;
  limitReporter: LimitReporter;
  /** With a store: the keys every replica signs with (the proxies' parked calls). */
  keys?: SecretKeys;
  /** With a store: what each streamable HTTP face does as one of several replicas. */
  replicas?: ReplicaOptions;
  /** With a store: the relay of list changes between replicas for the route at `path`. */
  relay?: (path: string) => ListRelay;
}

/**
 * How core reaches each upstream of `pipeline`: a child process per link for
 * a command, a client for a URL, with the credentials `hub` makes for it when
 * it has `auth:` (per user: links per principal in both eras).
 */
export function specs(pipeline: Pipeline, log: Logger, bounds: Bounds, hub?: CredentialHub): UpstreamSpec[] {
  return Object.entries(pipeline.upstreams).map(([name, u]) => {
    if ('command' in u) {
      const connect = stdioUpstream({
        name,
        command: u.command,
        args: u.args,
        env: u.env,
        inheritEnv: u.inheritEnv,
        ...(u.cwd ? { cwd: resolve(pipeline.baseDir, u.cwd) } : {}),
        log,
        ...bounds,
      });
      // Per session, or (shared, with authentication) per principal: either way, one process each.
      return { name, mode: u.mode, protocol: u.protocol, connect, maxLinks: bounds.limits.perSessionChildren };
    }
    const credentials = u.auth === undefined ? undefined : hub?.credentialsFor(name, u.url, u.auth);
    if (u.auth !== undefined && credentials === undefined) throw new Error(`upstream "${name}" has auth but no credential hub was given`);
    const connect = urlUpstream({
      url: u.url,
      headers: u.headers,
      transport: u.transport,
      http2: u.http2,
      credentials,
      log: bindOnce(log, { upstream: name }),
      ...bounds,
    });
    const perPrincipal = u.auth !== undefined && u.auth.clientCredentials === undefined;
    return { name, mode: u.mode, protocol: u.protocol, connect, ...(perPrincipal ? { perPrincipal } : {}) };
  });
}
