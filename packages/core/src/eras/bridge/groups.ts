/** The parts of the bridge's links: groups by principal and capabilities, their entries and leases. */
import type { Params } from '../../wire/jsonrpc.js';
import type { LimitReporter, Limits } from '../../wire/limits.js';
import type { Link } from '../../links/link.js';
import type { Principal } from '../../chain/principal.js';

/** What the bridge's links need from the pool that opens them. */
export interface BridgeLinksHost {
  readonly limits: Limits;
  readonly limitReporter: LimitReporter;
  /** Opens a bridge link to the upstream for `principal` (a child started, a connection made), not yet initialized. */
  open(principal?: Principal): Promise<Link>;
  /** Initializes a link opened by `open`, declaring `capabilities`; rejects (and closes it) when the upstream refuses. */
  initialize(link: Link, capabilities: Params): Promise<Link>;
}

/** A link lent to one request; `release` gives it back (once). */
export interface Lease {
  link: Link;
  release(): void;
}

export interface Entry {
  group: Group;
  opening: Promise<Link>;
  link: Link | undefined;
  /** Calls in flight on it (at most one where the wire cannot say which call a push belongs to). */
  calls: number;
  idle: NodeJS.Timeout | undefined;
}

export interface Group {
  key: string;
  principal: string | undefined;
  /** The principal the links are opened for, with `UpstreamSpec.perPrincipal` (their transport sends its credentials); else undefined. */
  owner: Principal | undefined;
  capabilities: Params;
  entries: Entry[];
}

const has = (v: unknown): boolean => typeof v === 'object' && v !== null;
const present = (v: unknown, keys: readonly string[]): Params =>
  Object.fromEntries(keys.filter((k) => has((v as Params | undefined)?.[k])).map((k) => [k, {}]));

/**
 * The client capabilities a 2025-era server can act on, as the bridge
 * declares them upstream: which of elicitation (form, url), sampling (and
 * its tools and context) and roots the request declared. Other keys (and
 * their contents) change nothing upstream, so they make no new group: a
 * client cannot make the bridge open links by varying them.
 */
export function bridgeCapabilities(declared: Params | undefined): Params {
  const caps: Params = {};
  const elicitation = declared?.elicitation;
  if (has(elicitation)) {
    const modes = present(elicitation, ['form', 'url']);
    // A bare `elicitation: {}` means form, in both eras.
    caps.elicitation = Object.keys(modes).length > 0 ? modes : { form: {} };
  }
  if (has(declared?.sampling)) caps.sampling = present(declared?.sampling, ['tools', 'context']);
  if (has(declared?.roots)) caps.roots = {};
  return caps;
}

export function once(f: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    f();
  };
}
