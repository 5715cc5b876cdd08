/**
 * The acknowledgement of a 2026-07-28 `subscriptions/listen`: the first
 * message on the stream, saying which of the requested notifications the
 * server agreed to send. Core sends it once, and as late as it may: a
 * middleware that knows what the proxy can really honour (aggregate, which
 * knows which upstream can send what) narrows it with `acknowledgeListen`
 * before it forks the listen; otherwise it goes out as asked when the listen
 * leaves for an upstream, when anything is to be delivered on it, or with
 * its answer. What the client is then sent on that listen is what the
 * acknowledgement said, not more.
 */
import type { RequestId } from '../../wire/jsonrpc.js';
import type { Context } from '../../chain/middleware.js';
import { acknowledgement, type ListenFilter } from './modern.js';
import type { Session } from '../../proxy/session.js';

/** Where core puts a listen's acknowledgement on its context (forks copy it). */
export const LISTEN_ACK = Symbol.for('mcproxy.listenAck');

/** Sends a listen's acknowledgement if it has not gone out yet, narrowed to `honoured` when given. */
export type ListenAck = (honoured?: ListenFilter) => Promise<void>;

/** `asked`, keeping only what `honoured` also holds. */
export function narrowed(asked: ListenFilter, honoured: ListenFilter): ListenFilter {
  const out: ListenFilter = {};
  for (const flag of ['toolsListChanged', 'promptsListChanged', 'resourcesListChanged'] as const) {
    if (asked[flag] === true && honoured[flag] === true) out[flag] = true;
  }
  for (const field of ['resourceSubscriptions', 'taskIds'] as const) {
    const kept = (asked[field] ?? []).filter((v) => (honoured[field] ?? []).includes(v));
    if (kept.length > 0) out[field] = kept;
  }
  return out;
}

/** The acknowledgement of `session`'s listen `id`, sent at most once; narrowing also narrows what the listen is sent. */
export function listenAck(session: Session, listens: Map<RequestId, ListenFilter>, id: RequestId, asked: ListenFilter): ListenAck {
  let sent: Promise<void> | undefined;
  return (honoured) => {
    if (sent !== undefined) return sent;
    const filter = honoured === undefined ? asked : narrowed(asked, honoured);
    if (listens.has(id)) listens.set(id, filter);
    sent = session.peer.notify(acknowledgement(filter, id), { relatedRequestId: id });
    return sent;
  };
}

/**
 * Acknowledges the client's `subscriptions/listen` now, with only what the
 * caller will really deliver (`honoured` is narrowed to what was asked). A
 * no-op for any other request, and once the acknowledgement went out.
 *
 * @example
 * await acknowledgeListen(ctx, { toolsListChanged: true, taskIds: opened });
 */
export function acknowledgeListen(ctx: Context, honoured?: ListenFilter): Promise<void> {
  const ack = (ctx as unknown as Record<symbol, ListenAck | undefined>)[LISTEN_ACK];
  return ack === undefined ? Promise.resolve() : ack(honoured);
}
