import type { Context } from '../chain/middleware.js';
import type { Notification, Params, Reply, Request, RequestId } from '../wire/jsonrpc.js';
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

/** Where a message toward a client goes: the session, the client request it belongs to, the upstream it comes from. */
export interface Toward {
  session: Session;
  related: RequestId | undefined;
  upstream: string | undefined;
  signal?: AbortSignal;
}

/**
 * The context of a message toward a client: every one core makes (an upstream's request or
 * notification, progress, list_changed, a bridged call's push), tied to its client request.
 */
export function towardClient(host: ChainHost, to: Toward, kind: 'request', message: Omit<Request, 'id'>): Context;
export function towardClient(host: ChainHost, to: Toward, kind: 'notification', message: Notification): Context;
export function towardClient(host: ChainHost, to: Toward, kind: Context['kind'], message: Omit<Request, 'id'> | Notification): Context {
  const { session, related, upstream } = to;
  const signal = to.signal ?? new AbortController().signal;
  const base = { direction: 'downstream', session, client: session.clientOf(related), upstream, upstreams: host.upstreams, signal, log: session.log } as const;
  const ctx: Context = kind === 'request' ? { ...base, kind, message } : { ...base, kind, message: message as Notification };
  if (related !== undefined) host.relate(ctx, related);
  return ctx;
}

/** Progress from an upstream walks the chain back to the session, and always ahead of the answer (the session's peer holds the answer until it is out). */
export function progress(host: ChainHost, session: Session, downstreamId: RequestId, upstream: string, params: Params): void {
  if (!session.peer.isPending(downstreamId)) return;
  const ctx = towardClient(host, { session, related: downstreamId, upstream }, 'notification', { jsonrpc: '2.0', method: 'notifications/progress', params });
  session.peer.hold(
    downstreamId,
    host.toDownstream(ctx).catch((err: unknown) => session.log.warn({ err }, 'progress lost')),
  );
}
