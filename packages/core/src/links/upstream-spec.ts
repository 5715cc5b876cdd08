import type { Channel } from '../wire/channel.js';
import { ConfigError } from '../wire/errors.js';
import type { Principal } from '../chain/principal.js';
import type { LinkMode } from './link.js';

/** What a new link is for: whose link it is (links are per principal, or per session), so a transport may send credentials of its own for that principal, never the client's. */
export interface ConnectContext {
  principal?: Principal;
}

/** How to reach one upstream. `connect` opens a new link each time it is called. */
export interface UpstreamSpec {
  name: string;
  /** `shared`: one link for all sessions. `per-session`: one link per downstream session. */
  mode: LinkMode;
  connect(context?: ConnectContext): Promise<Channel>;
  /** 2026-07-28 (and bridge) links per principal too, for a `connect` that sends each principal's own credentials; else one serves all. */
  perPrincipal?: boolean;
  /** Most per-session links open at once (e.g. child processes); unlimited when absent. */
  maxLinks?: number;
  /**
   * Which era the upstream speaks: `auto` (default) asks it with `server/discover` when a modern
   * client first needs it; a revision pins it (`2026-07-28`: modern, never probed; `2025-11-25` or
   * older: legacy, so modern clients are told at once that it is out of their reach).
   */
  protocol?: string;
}

/** The upstreams by name, in configuration order; two with one name are a `ConfigError`. */
export function specsByName(upstreams: readonly UpstreamSpec[]): Map<string, UpstreamSpec> {
  const specs = new Map<string, UpstreamSpec>();
  for (const spec of upstreams) {
    if (specs.has(spec.name)) throw new ConfigError(`two upstreams are named "${spec.name}"`);
    specs.set(spec.name, spec);
  }
  return specs;
}
