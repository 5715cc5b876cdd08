import { ProxyErrorCode } from '../wire/errors.js';
import { errorReply, JSONRPCErrorCode, type Notification, type Reply, type Request, type RequestId } from '../wire/jsonrpc.js';
import type { Link, Origin } from './link.js';
import type { Context } from '../chain/middleware.js';
import type { MessageExtra } from '../wire/channel.js';
import type { Proxy } from './proxy.js';
import { clientOf, type Session } from './session.js';
import { declares } from '../chain/client-context.js';
import { modernTargets } from '../eras/modern/modern-link.js';
import { MODERN_VERSION } from '../eras/modern/modern.js';
import { deliverModern } from '../eras/modern/modern-serve.js';

/** Which client capability a request that an upstream starts needs. */
const NEEDS: Record<string, string> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};

/** Notifications about the server as a whole: every session on the link hears them. */
export const BROADCAST = /^notifications\/(tools|prompts|resources)\/list_changed$/;

export interface Target {
  session: Session;
  related: RequestId | undefined;
}

/** Where an upstream's message goes: to these sessions, or nowhere, with the reason. */
export type Targets = { to: Target[] } | { refused: string };

/**
 * Finds the sessions an upstream's message is for, and never guesses. A
 * message the transport ties to one of our requests goes to that request's
 * session. Otherwise, on a link that serves one session, or while the
 * requests in flight on it all come from one session, it goes to that
 * session. Server-wide notifications (list_changed; resource updates to their
 * subscribers) go to every session concerned. Anything else on a shared link
 * with several sessions concerned cannot be attributed: requests are refused
 * to the upstream and notifications dropped, so no session sees another's
 * sampling, elicitation, roots or log traffic.
 */
function targets(link: Link, message: Request | Notification, extra?: MessageExtra): Targets {
  if (link.era === 'modern' && link.bridged === undefined) return modernTargets(link, message, extra);
  const open = [...link.sessions].filter((s) => s.peer.open);
  if (BROADCAST.test(message.method)) return { to: open.map((session) => ({ session, related: undefined })) };
  // Progress whose token is not in flight any more: late, and belongs to no one.
  if (message.method === 'notifications/progress') return { to: [] };
  if (message.method === 'notifications/resources/updated' && link.mode === 'shared') {
    const uri = message.params?.uri;
    return { to: typeof uri === 'string' ? link.subscriptions.subscribers(uri).map((session) => ({ session, related: undefined })) : [] };
  }
  const byId = extra?.relatedRequestId === undefined ? undefined : link.peer.attribute(extra.relatedRequestId, false);
  if (byId?.tag !== undefined) return { to: byId.tag.session.peer.open ? [{ session: byId.tag.session, related: byId.tag.downstreamId }] : [] };
  const inFlight = link.peer.tags().filter((t): t is Origin => t?.session.peer.open === true);
  const callers = new Set(inFlight.map((t) => t.session));
  if (callers.size === 1) {
    const newest = inFlight.at(-1)!;
    return { to: [{ session: newest.session, related: newest.downstreamId }] };
  }
  if (callers.size === 0 && open.length <= 1) return { to: open.map((session) => ({ session, related: undefined })) };
  const sessions = callers.size > 0 ? callers.size : open.length;
  return {
    refused: `${sessions} client sessions share this link${callers.size > 0 ? ' and have requests in flight' : ''}, and the upstream's transport does not say which one this ${message.method} belongs to`,
  };
}

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
 * Routes what an upstream starts (a request such as sampling, or a
 * notification) through the chain toward the session(s) it belongs to.
 */
export async function routeFromUpstream(proxy: Proxy, link: Link, message: Request | Notification, signal: AbortSignal, extra?: MessageExtra): Promise<Reply> {
  // A 2025-era upstream asking a modern client for input: the bridged call it belongs to parks it.
  if (link.bridged !== undefined && 'id' in message) return link.bridged.fromUpstream(message, signal, extra);
  const routed = targets(link, message, extra);
  if ('refused' in routed) {
    // A 2026-07-28 server asks for input with input_required results, never with requests of its own.
    if (link.era === 'modern' && 'id' in message) {
      return errorReply(
        JSONRPCErrorCode.MethodNotFound,
        `Method not found: a ${MODERN_VERSION} server may not send requests (${message.method.slice(0, 100)}); return an input_required result instead`,
        { upstream: link.name },
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
    const ctx: Context = {
      kind: 'request',
      direction: 'downstream',
      session: target.session,
      client: clientOf(target.session, target.related),
      upstream: link.name,
      upstreams: proxy.names,
      signal,
      log: target.session.log,
      message: rest,
    };
    if (target.related !== undefined) proxy.origins.set(ctx, target.related);
    return (await proxy.toDownstream(ctx)) ?? { result: {} };
  }
  await Promise.all(
    found.map(({ session, related }) => {
      const ctx: Context = {
        kind: 'notification',
        direction: 'downstream',
        session,
        client: clientOf(session, related),
        upstream: link.name,
        upstreams: proxy.names,
        signal,
        log: session.log,
        message,
      };
      if (related === undefined) return proxy.toDownstream(ctx);
      proxy.origins.set(ctx, related);
      const work = proxy.toDownstream(ctx);
      session.peer.hold(related, work);
      return work;
    }),
  );
  return { result: {} };
}

/**
 * Sends list_changed notifications to `sessions` in `upstream`'s name, through
 * the chain exactly as if the upstream had sent them (middleware such as
 * aggregate drops what it kept of that upstream). Core says it for an
 * upstream that went down or came back, which cannot say so itself.
 */
export async function announceListChanges(proxy: Proxy, upstream: string, sessions: readonly Session[], methods: readonly string[]): Promise<void> {
  await Promise.all(
    sessions.flatMap((session) =>
      methods.map(async (method) => {
        const ctx: Context = {
          kind: 'notification',
          direction: 'downstream',
          session,
          client: clientOf(session, undefined),
          upstream,
          upstreams: proxy.names,
          signal: new AbortController().signal,
          log: session.log,
          message: { jsonrpc: '2.0', method },
        };
        await proxy.toDownstream(ctx).catch((err: unknown) => session.log.warn({ err, method }, 'list change not passed on'));
      }),
    ),
  );
}

/** The terminal toward downstream: sends to the session, with the request it belongs to. */
export async function deliverToSession(proxy: Proxy, ctx: Context): Promise<Reply | undefined> {
  const session = ctx.session as Session;
  const related = proxy.origins.get(ctx);
  const options = related !== undefined && session.peer.isPending(related) ? { relatedRequestId: related } : undefined;
  if (session.era === 'modern') return deliverModern(session, ctx, options?.relatedRequestId);
  if (ctx.kind === 'notification') {
    await session.peer.notify(ctx.message, options);
    return undefined;
  }
  if (!session.peer.open) {
    return errorReply(ProxyErrorCode.SessionClosed, `the client session for this ${ctx.message.method} has closed`, { upstream: ctx.upstream });
  }
  const capability = NEEDS[ctx.message.method];
  if (capability !== undefined && !declares(session.client, capability)) {
    return errorReply(JSONRPCErrorCode.MethodNotFound, `the client did not declare the "${capability}" capability, so it cannot answer ${ctx.message.method}`, {
      upstream: ctx.upstream,
    });
  }
  // A person may be answering (sampling, elicitation): only the hard limit applies.
  const max = proxy.timeouts.maxMs;
  return session.peer.request(ctx.message.method, ctx.message.params, {
    signal: ctx.signal,
    relatedRequestId: options?.relatedRequestId,
    timeouts: { requestMs: max, maxMs: max, resetOnProgress: false },
    onProgress: (params) => {
      const link = ctx.upstream === undefined ? undefined : proxy.linkFor(ctx.upstream, session);
      void link?.then(
        (l) => l.peer.notify({ jsonrpc: '2.0', method: 'notifications/progress', params }),
        () => undefined,
      );
    },
  });
}
