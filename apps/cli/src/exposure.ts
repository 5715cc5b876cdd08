import type { Logger } from '@mcproxy/core';

const LOOPBACK = /^(127(\.\d{1,3}){3}|localhost|::1|\[::1\])$/i;

/**
 * Warns, loudly, when a face binds beyond loopback: there is no client
 * authentication yet, so anyone who reaches the port can use every upstream.
 * Returns whether it warned.
 */
export function warnIfExposed(host: string, face: string, log: Logger): boolean {
  if (LOOPBACK.test(host)) return false;
  log.warn(
    { host, face },
    `the ${face} face listens on ${host}, reachable beyond this machine, and mcproxy does not authenticate clients yet: anyone who reaches the port can use every upstream. Bind to 127.0.0.1 or put an authenticating gateway in front`,
  );
  return true;
}
