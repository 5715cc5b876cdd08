import type { Link } from './link.js';
import type { UpstreamSpec } from './upstream-spec.js';
import type { Logger } from '../wire/logger.js';
import type { Middleware } from '../chain/middleware.js';
import type { Timeouts } from '../wire/timeouts.js';

/** What a running proxy can take without a restart (see `Proxy.reconfigure`). */
export interface Reconfiguration {
  /** The whole new set of upstreams, in order: names absent from it are removed. */
  upstreams: readonly UpstreamSpec[];
  /** The new chain, used by every request that starts from now on; absent: the chain (and its state) is kept. */
  middleware?: readonly Middleware[];
  /** Upstreams kept by name whose configuration changed: their links are replaced like removed ones. */
  changed?: readonly string[];
  /** New deadlines for requests that start from now on. */
  timeouts?: Partial<Timeouts>;
}

/** What a reconfiguration did; `drained` resolves once every retired link has closed. */
export interface Reconfigured {
  added: string[];
  removed: string[];
  changed: string[];
  /** Sessions told `notifications/*_list_changed`. */
  notified: number;
  drained: Promise<void>;
}

/** The three list_changed notifications: after a reconfiguration any list may differ. */
export const ALL_LISTS = ['notifications/tools/list_changed', 'notifications/prompts/list_changed', 'notifications/resources/list_changed'] as const;

/**
 * Lets the requests in flight on retired links finish (each has its own
 * deadline, so this ends by `maxMs` at the latest), then closes the links.
 * New requests never reach them: they have already left the pool.
 */
export async function drainLinks(links: readonly Link[], maxMs: number, log: Logger, pollMs = 25): Promise<void> {
  await Promise.all(
    links.map(async (link) => {
      const until = Date.now() + maxMs;
      while (!link.peer.closed && link.peer.inFlight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, pollMs).unref?.());
      const left = link.peer.inFlight;
      if (left > 0) link.log.warn({ inFlight: left }, 'retired upstream link still busy at its deadline: closing it');
      await link.peer.close(`upstream "${link.name}" was removed or replaced by a reload`);
      log.debug({ upstream: link.name }, 'retired link closed');
    }),
  );
}
