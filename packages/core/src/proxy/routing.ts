import { ProxyErrorCode } from '../wire/errors.js';
import { errorReply, JSONRPCErrorCode, type Notification, type Reply, type Request } from '../wire/jsonrpc.js';
import type { MessageExtra } from '../wire/channel.js';
import type { Context } from '../chain/middleware.js';
import { towardClient } from './downstream.js';
import type { ChainHost } from './downstream.js';
import type { Link } from '../links/link.js';
import type { Session } from './session.js';

/** One warning per link and method: a flood of unattributable messages is not a flood of logs. */
const warned = new WeakMap<Link, Set<string>>();

function warnOnce(link: Link, method: string, why: string): void {
  const seen = warned.get(link) ?? new Set<string>();
  warned.set(link, seen);
  if (seen.has(method)) return;
  seen.add(method);
  link.log.warn(
    { method },
    `upstream "${link.name}": ${why}; not passed on, so no session sees another's traffic. Set mode: per-session for this upstream to give each session its own link`,
  );
}

/**
 * Routes what an upstream starts (a request such as sampling, or a notification) through the chain
 * toward the session(s) it belongs to, as the link's era finds them; what belongs to no one is
 * refused or dropped, never guessed.
 */
export async function routeFromUpstream(
  host: ChainHost,
  link: Link,
  message: Request | Notification,
  signal: AbortSignal,
  extra?: MessageExtra,
): Promise<Reply> {
  // The era may answer a request itself (the bridge parks it on the call it belongs to).
  const answered = 'id' in message ? link.protocol.answer?.(message, signal, extra) : undefined;
  if (answered !== undefined) return answered;
  const routed = link.protocol.targets(message, extra);
  if ('refused' in routed) {
    // A 2026-07-28 server asks for input with input_required results, never with requests of its own.
    if (link.protocol.era === 'modern' && 'id' in message) {
      return errorReply(
        JSONRPCErrorCode.MethodNotFound,
        `Method not found: ${routed.refused} (${message.method.slice(0, 100)}); return an input_required result instead`,
        {
          upstream: link.name,
        },
      );
    }
    // A ping needs no client: the proxy answers it.
    if ('id' in message && message.method === 'ping') return { result: {} };
    warnOnce(link, message.method, routed.refused);
    if (!('id' in message)) return { result: {} };
    return errorReply(
      ProxyErrorCode.Unattributable,
      `mcproxy cannot tell which client this ${message.method} is for: ${routed.refused}. Configure this upstream with mode: per-session`,
      { upstream: link.name },
    );
  }
  const found = routed.to;
  if ('id' in message) {
    const target = found[0];
    if (target === undefined) {
      if (message.method === 'ping') return { result: {} };
      return errorReply(ProxyErrorCode.NoRoute, `no client session is connected to answer ${message.method} from upstream "${link.name}"`, {
        upstream: link.name,
      });
    }
    const { id: _id, ...rest } = message;
    const ctx = towardClient(host, { session: target.session, related: target.related, upstream: link.name, signal }, 'request', rest);
    return (await host.toDownstream(ctx)) ?? { result: {} };
  }
  await Promise.all(
    found.map(({ session, related }) => {
      const work = host.toDownstream(towardClient(host, { session, related, upstream: link.name, signal }, 'notification', message));
      if (related !== undefined) session.peer.hold(related, work);
      return work;
    }),
  );
  return { result: {} };
}

/**
 * Sends list_changed notifications to `sessions` in `upstream`'s name, through the chain exactly as
 * if the upstream had sent them (middleware such as aggregate drops what it kept of that upstream).
 * Core says it for an upstream that went down or came back, which cannot say so itself.
 */
export async function announceListChanges(host: ChainHost, upstream: string, sessions: readonly Session[], methods: readonly string[]): Promise<void> {
  await Promise.all(
    sessions.flatMap((session) =>
      methods.map(async (method) => {
        const ctx = towardClient(host, { session, related: undefined, upstream }, 'notification', { jsonrpc: '2.0', method });
        await host.toDownstream(ctx).catch((err: unknown) => session.log.warn({ err, method }, 'list change not passed on'));
      }),
    ),
  );
}

/** The terminal toward downstream: the session's era delivers it, tied to the client's request it belongs to. */
export async function deliverToSession(host: ChainHost, ctx: Context): Promise<Reply | undefined> {
  const session = ctx.session as Session;
  const related = host.relatedOf(ctx);
  if (session.protocol !== undefined) return session.protocol.deliver(ctx, related);
  // Before its first request a connection has no era: what it may hear is sent as is.
  if (ctx.kind === 'notification') {
    await session.peer.notify(ctx.message, related !== undefined && session.peer.isPending(related) ? { relatedRequestId: related } : undefined);
    return undefined;
  }
  return errorReply(ProxyErrorCode.SessionClosed, `the client has sent nothing yet, so it cannot be asked ${ctx.message.method}`, { upstream: ctx.upstream });
}
