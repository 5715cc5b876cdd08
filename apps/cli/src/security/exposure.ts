import { createAuthenticator } from '@mcproxy/auth';
import { ConfigError, type Logger } from '@mcproxy/core';
import type { AdminAuth } from '@mcproxy/observability';
import type { Pipeline } from '../config/schema.js';

const LOOPBACK = /^(127(\.\d{1,3}){3}|localhost|::1|\[::1\])$/i;

/**
 * Refuses to serve a face beyond loopback with no authentication: anyone
 * who reached the port could use every upstream. `auth: { allowUnauthenticated: true }`
 * says so on purpose (a gateway in front authenticates); the proxy then
 * starts, with a warning. Returns whether the face is reachable beyond this
 * machine without authentication.
 */
export function checkExposure(host: string, face: string, auth: Pipeline['auth'], log: Logger, origin?: Pipeline['origin']): boolean {
  if (LOOPBACK.test(host) || (auth !== undefined && !auth.allowUnauthenticated)) return false;
  if (auth === undefined && origin === 'command line') {
    // No file to edit: the ways out are a flag to drop, or a file to write.
    throw new ConfigError(
      `--host ${host} is reachable beyond this machine, and the command line sets no authentication: anyone who reaches the port could use the server. ` +
        'Leave out --host to serve on 127.0.0.1 only, or write a pipeline file with an auth section (apiKeys or jwt; see docs/security.md) and run mcproxy --config <file>',
    );
  }
  if (auth === undefined) {
    throw new ConfigError(
      `serve.${face}.host is ${host}, reachable beyond this machine, and the pipeline has no auth section: anyone who reaches the port could use every upstream. ` +
        'Add auth (apiKeys or jwt), bind to 127.0.0.1, or, when a gateway in front authenticates clients, say auth: { allowUnauthenticated: true }',
    );
  }
  log.warn(
    { host, face },
    `the ${face} face listens on ${host}, reachable beyond this machine, without authentication (auth.allowUnauthenticated): anyone who reaches the port can use every upstream`,
  );
  return true;
}

/**
 * Refuses `cors.origins: ["*"]` with no authentication: every web page the
 * user opens could then drive the proxy (the browser sends the requests, the
 * answers are readable). `auth: { allowUnauthenticated: true }` says so on
 * purpose (a gateway in front authenticates); the proxy then starts, with a
 * warning. Returns whether any origin may use the face without credentials.
 */
export function checkCors(origins: readonly string[] | undefined, face: string, auth: Pipeline['auth'], log: Logger): boolean {
  if (origins === undefined || !origins.includes('*') || (auth !== undefined && !auth.allowUnauthenticated)) return false;
  if (auth === undefined) {
    throw new ConfigError(
      `serve.${face}.cors.origins is ["*"] and the pipeline has no auth section: any web page open in a browser on this machine could call every upstream. ` +
        'Add auth (apiKeys or jwt), list the origins of your pages, or, when a gateway in front authenticates clients, say auth: { allowUnauthenticated: true }',
    );
  }
  log.warn({ face }, `the ${face} face allows every CORS origin without authentication (auth.allowUnauthenticated): any web page can use every upstream`);
  return true;
}

/**
 * Who may read the admin listener (all but its probes, /healthz and
 * /readyz): `admin.auth` when given; else, bound beyond loopback, the
 * faces' authenticator (`faces`, which follows reloads), and with no
 * `auth:` at all it refuses to start, like a face; on loopback it is open
 * (the dashboard is a page a browser opens, with no header to send).
 * `allowUnauthenticated` (in `admin.auth`, or the top-level one it falls
 * back to) opens it on purpose, with the listener's warning.
 */
export function adminAuthFor(pipeline: Pipeline, faces: AdminAuth | undefined, log: Logger): AdminAuth | undefined {
  const admin = pipeline.admin;
  if (admin === undefined) return undefined;
  if (admin.auth !== undefined) return admin.auth.allowUnauthenticated ? undefined : createAuthenticator(admin.auth, { log: log.child({ auth: 'admin' }) });
  if (LOOPBACK.test(admin.host)) return undefined;
  if (pipeline.auth === undefined) {
    throw new ConfigError(
      `admin.host is ${admin.host}, reachable beyond this machine, and the pipeline has no auth section: anyone who reaches the port could read metrics, upstream health and the dashboard's live tail. ` +
        'Add auth (top-level or admin.auth), bind the admin listener to 127.0.0.1, or say admin.auth: { allowUnauthenticated: true }',
    );
  }
  return pipeline.auth.allowUnauthenticated ? undefined : faces;
}
