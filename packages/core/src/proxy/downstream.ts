import type { Context } from '../chain/middleware.js';
import type { Notification, Request, RequestId } from '../wire/jsonrpc.js';
import type { ChainHost } from './host.js';
import type { Session } from './session.js';

/** Where a message toward a client goes: the session, the client request it belongs to, the upstream it comes from. */
export interface Toward {
  session: Session;
  related: RequestId | undefined;
  upstream: string | undefined;
  signal?: AbortSignal;
}

/**
 * The context of a message on its way toward a client. Every one core makes
 * (an upstream's request or notification, progress, core's own
 * list_changed, a bridged call's push) is built here, tied to the client's
 * request it belongs to when there is one.
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
