import type { Logger } from '../wire/logger.js';

/** Work a middleware asked to do when a session ends: it may still send requests through the chain. */
export type CloseHook = () => void | Promise<void>;

/** How long core lets a session's close hooks run before it releases the session's links anyway. */
export const CLOSE_HOOKS_MS = 5000;

/**
 * Runs a closed session's hooks, each guarded (a hook that throws or rejects is logged at debug and
 * costs nothing else), and resolves when all have settled or `ms` has passed, whichever is first.
 * The client is gone already; what waits is only the release of the session's links, so that a hook
 * can still reach the upstreams the session used.
 */
export async function runCloseHooks(hooks: readonly CloseHook[], log: Logger, ms: number = CLOSE_HOOKS_MS): Promise<void> {
  const settled = Promise.allSettled(
    hooks.map(async (hook) => {
      try {
        await hook();
      } catch (err) {
        log.debug({ err }, 'a session close hook failed');
      }
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      log.debug({ ms }, 'session close hooks still running; the session is released');
      resolve();
    }, ms);
    timer.unref();
  });
  await Promise.race([settled, late]);
  clearTimeout(timer);
}
