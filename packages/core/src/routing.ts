import { ProxyErrorCode } from './errors.js';
import { errorReply, JSONRPCErrorCode, type Notification, type Reply, type Request, type RequestId } from './jsonrpc.js';
import type { Link } from './link.js';
import type { Context } from './middleware.js';
import type { MessageExtra } from './channel.js';
import type { Proxy } from './proxy.js';
import type { Session } from './session.js';

/** Which client capability a request that an upstream starts needs. */
const NEEDS: Record<string, string> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};

/** Notifications about the server as a whole: every session on the link hears them. */
const BROADCAST = /^notifications\/(tools|prompts|resources)\/list_changed$/;

interface Target {
  session: Session;
  related: RequestId | undefined;
}

/**
 * Finds the sessions an upstream's message is for. A message the transport
 * ties to one of our requests, or sent while requests are in flight, belongs
 * to the session of that request (the newest when several are in flight on
 * a shared link); otherwise it goes to every session on the link (resource
 * updates: to the sessions subscribed).
 */
function targets(link: Link, message: Request | Notification, extra?: MessageExtra): Target[] {
  const all = (): Target[] => [...link.sessions].filter((s) => s.peer.open).map((session) => ({ session, related: undefined }));
  if (BROADCAST.test(message.method)) return all();
  // Progress whose token is not in flight any more: late, and belongs to no one.
  if (message.method === 'notifications/progress') return [];
  if (message.method === 'notifications/resources/updated' && link.mode === 'shared') {
    const uri = message.params?.uri;
    return typeof uri === 'string' ? link.subscriptions.subscribers(uri).map((session) => ({ session, related: undefined })) : [];
  }
  const found = link.peer.attribute(extra?.relatedRequestId);
  if (found?.tag !== undefined && found.tag.session.peer.open) {
    return [{ session: found.tag.session, related: found.tag.downstreamId }];
  }
  if ('id' in message) {
    // A request no in-flight call explains: the session that spoke last.
    const last = all().at(-1);
    return last === undefined ? [] : [last];
  }
  return all();
}

/**
 * Routes what an upstream starts (a request such as sampling, or a
 * notification) through the chain toward the session(s) it belongs to.
 */
export async function routeFromUpstream(
  proxy: Proxy, link: Link, message: Request | Notification, signal: AbortSignal, extra?: MessageExtra,
): Promise<Reply> {
  const found = targets(link, message, extra);
  if ('id' in message) {
    const target = found[0];
    if (target === undefined) {
      if (message.method === 'ping') return { result: {} };
      return errorReply(ProxyErrorCode.NoRoute, `no client session is connected to answer ${message.method} from upstream "${link.name}"`, { upstream: link.name });
    }
    const { id: _id, ...rest } = message;
    const ctx: Context = { kind: 'request', direction: 'downstream', session: target.session, upstream: link.name, upstreams: proxy.names, signal, log: target.session.log, message: rest };
    if (target.related !== undefined) proxy.origins.set(ctx, target.related);
    return (await proxy.toDownstream(ctx)) ?? { result: {} };
  }
  await Promise.all(found.map(({ session, related }) => {
    const ctx: Context = { kind: 'notification', direction: 'downstream', session, upstream: link.name, upstreams: proxy.names, signal, log: session.log, message };
    if (related === undefined) return proxy.toDownstream(ctx);
    proxy.origins.set(ctx, related);
    const work = proxy.toDownstream(ctx);
    session.peer.hold(related, work);
    return work;
  }));
  return { result: {} };
}

/** The terminal toward downstream: sends to the session, with the request it belongs to. */
export async function deliverToSession(proxy: Proxy, ctx: Context): Promise<Reply | undefined> {
  const session = ctx.session as Session;
  const related = proxy.origins.get(ctx);
  const options = related !== undefined && session.peer.isPending(related) ? { relatedRequestId: related } : undefined;
  if (ctx.kind === 'notification') {
    await session.peer.notify(ctx.message, options);
    return undefined;
  }
  if (!session.peer.open) {
    return errorReply(ProxyErrorCode.SessionClosed, `the client session for this ${ctx.message.method} has closed`, { upstream: ctx.upstream });
  }
  const capability = NEEDS[ctx.message.method];
  if (capability !== undefined && !session.declares(capability)) {
    return errorReply(JSONRPCErrorCode.MethodNotFound, `the client did not declare the "${capability}" capability, so it cannot answer ${ctx.message.method}`, { upstream: ctx.upstream });
  }
  // A person may be answering (sampling, elicitation): only the hard limit applies.
  const max = proxy.timeouts.maxMs;
  return session.peer.request(ctx.message.method, ctx.message.params, {
    signal: ctx.signal,
    relatedRequestId: options?.relatedRequestId,
    timeouts: { requestMs: max, maxMs: max, resetOnProgress: false },
    onProgress: (params) => {
      const link = ctx.upstream === undefined ? undefined : proxy.linkFor(ctx.upstream, session);
      void link?.then((l) => l.peer.notify({ jsonrpc: '2.0', method: 'notifications/progress', params }), () => undefined);
    },
  });
}
