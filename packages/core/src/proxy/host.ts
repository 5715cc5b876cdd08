import type { Context } from '../chain/middleware.js';
import type { Reply, RequestId } from '../wire/jsonrpc.js';
import type { Timeouts } from '../wire/timeouts.js';
import type { Link } from '../links/link.js';
import type { Session } from './session.js';

/** What routing and the eras need of the proxy: its chain toward clients, its names and deadlines. Never `Proxy`'s fields. */
export interface ChainHost {
  /** Upstream names in configuration order. */
  readonly upstreams: readonly string[];
  readonly timeouts: Timeouts;
  /** Runs a context through the chain toward the client. */
  toDownstream(ctx: Context): Promise<Reply | undefined>;
  /** Ties a context to the client's request id it belongs to (middleware never see ids). */
  relate(ctx: Context, downstreamId: RequestId): void;
  /** The client's request id a context belongs to, if any. */
  relatedOf(ctx: Context): RequestId | undefined;
  /** The link to `name` that `session` already has, if any; never opens one. */
  linkFor(name: string, session: Session): Promise<Link> | undefined;
}
