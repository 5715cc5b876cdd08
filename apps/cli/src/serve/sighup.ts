import type { Logger } from '@mcproxy/core';
import type { Running } from './start.js';

/**
 * When a face serves HTTPS, SIGHUP reads its certificate and key again (a
 * renewed certificate is taken without a restart; open connections keep the
 * old one), beside the pipeline reload SIGHUP also starts. A file that
 * cannot be read or a key that does not fit is logged and the old
 * certificate stays. Returns whether it listens for SIGHUP.
 */
export function reloadTlsOnSighup(running: Running, log: Logger): boolean {
  const reload = running.reloadTls;
  if (reload === undefined) return false;
  process.on('SIGHUP', () => {
    try {
      reload();
      log.info({}, 'SIGHUP: TLS certificates reloaded');
    } catch (err) {
      log.error({ err }, 'SIGHUP: TLS certificates not reloaded; the old ones stay in use');
    }
  });
  return true;
}
