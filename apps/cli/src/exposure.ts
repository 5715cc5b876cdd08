import { ConfigError, type Logger } from '@mcproxy/core';
import type { Pipeline } from './config/schema.js';

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
