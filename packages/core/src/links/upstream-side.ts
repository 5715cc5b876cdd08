/**
 * The protocol seam, upstream side: what an era must do on one link. Implemented by `eras/legacy`
 * (initialize once per link), `eras/modern` (every request with its envelope) and `eras/bridge`
 * (2026-07-28 requests on a 2025-era upstream); chosen in `eras/index.ts`.
 */
import type { MessageExtra } from '../wire/channel.js';
import type { ClientContext, Era } from '../chain/client-context.js';
import type { Notification, Params, Reply, Request, RequestId } from '../wire/jsonrpc.js';
import type { RequestOptions } from '../wire/outgoing.js';
import type { Session } from '../proxy/session.js';

/** Who a request on a link was sent for: the session and its own request id. */
export interface Origin {
  session: Session;
  downstreamId: RequestId | undefined;
  /** The era's own record of the call, where it keeps one (the bridge: where what the upstream pushes about it goes). */
  call?: unknown;
}

/** One downstream session (or 2026-07-28 request scope) an upstream's message is for, with the client request it belongs to. */
export interface Target {
  session: Session;
  related: RequestId | undefined;
}

/** Where an upstream's message goes: to these, or nowhere, with the reason. */
export type Targets = { to: Target[] } | { refused: string };

export interface UpstreamProtocol {
  /** The era of the requests the link carries (`modern` on the bridge's links: they carry 2026-07-28 requests). */
  readonly era: Era;
  /** Sends a request for `session` (the handshake, the envelope, a bridged call's parking are the era's). */
  forward(session: Session, method: string, params: Params | undefined, options: RequestOptions<Origin>, client: ClientContext | undefined): Promise<Reply>;
  /** Passes a client's notification on, or drops it where the era has no use for it. */
  notify(notification: Notification): Promise<void>;
  /** Where a request or notification the upstream started goes. */
  targets(message: Request | Notification, extra?: MessageExtra): Targets;
  /** Answers a request the upstream started itself (the bridge parks it on its call); undefined: route it to a client. */
  answer?(message: Request, signal: AbortSignal, extra?: MessageExtra): Promise<Reply> | undefined;
  /** `session` left the link. */
  detach(session: Session): void;
  /** The link closed. */
  closed(): void;
}
