/**
 * The server side of MCP 2026-07-28: what core does for a modern client, in
 * one place. A request's envelope becomes its `ClientContext` (or the error
 * the spec names), removed methods are -32601, a `subscriptions/listen` is
 * acknowledged before anything else is sent on it, replies are shaped as a
 * modern client must get them, and what goes back to the client is only
 * what belongs to one of its requests. The legacy server side is
 * `Session.hello` (what `initialize` said) and nothing else.
 */
import type { ClientContext, Era } from '../../chain/client-context.js';
import { errorReply, JSONRPCErrorCode, type Params, type Reply, type Request, type RequestId } from '../../wire/jsonrpc.js';
import type { Context } from '../../chain/middleware.js';
import {
  hasEnvelope,
  listenerWants,
  listenFilterOf,
  logLevelAllows,
  META,
  McpErrorCode,
  MODERN_VERSION,
  modernReply,
  readEnvelope,
  REMOVED_METHODS,
  tagged,
  TASKS_EXTENSION,
  withoutEnvelope,
} from './modern.js';
import type { Session } from '../../proxy/session.js';
import { listenAck, type ListenAck } from './listen-ack.js';

/**
 * The era of a stdio session, from its first request: `initialize` is
 * legacy; a request with a modern envelope, or `server/discover` (the
 * modern probe), is modern; anything else is treated as a legacy client
 * that skipped the handshake, as before there were two eras.
 */
export function eraOfFirst(message: Request): Era {
  if (message.method === 'initialize') return 'legacy';
  return hasEnvelope(message.params) || message.method === 'server/discover' ? 'modern' : 'legacy';
}

/** Runs a request through the chain for `client`, with the envelope taken out of it (and, for a listen, its acknowledgement). */
export type RunModern = (client: ClientContext, request: Request, ack?: ListenAck) => Promise<Reply>;

/** Serves one 2026-07-28 request of `session`. */
export async function serveModern(session: Session, message: Request, serverInfo: Params, run: RunModern): Promise<Reply> {
  const { method, id } = message;
  if (REMOVED_METHODS.has(method)) {
    return errorReply(JSONRPCErrorCode.MethodNotFound, `Method not found: ${method.slice(0, 100)} is not part of MCP ${MODERN_VERSION}`);
  }
  const envelope = readEnvelope(message.params);
  if ('error' in envelope) return envelope.error;
  const stripped: Request = { ...message, params: withoutEnvelope(message.params) };
  const listen = method === 'subscriptions/listen';
  const filter = listen ? listenFilterOf(message.params) : undefined;
  if (filter?.taskIds !== undefined && !declaresTasks(envelope.client)) {
    return errorReply(McpErrorCode.MissingRequiredClientCapability, 'Missing required client capability: task notifications need the tasks extension', {
      requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } },
    });
  }
  session.requests.set(id, envelope.client);
  // The acknowledgement goes out once, first on the stream, as late as may be (see listen-ack.ts).
  const ack = filter === undefined ? undefined : listenAck(session, id, filter);
  if (filter !== undefined && ack !== undefined) {
    session.listens.set(id, filter);
    session.listenAcks.set(id, ack);
  }
  try {
    const reply = modernReply(method, await run(envelope.client, stripped, ack), serverInfo);
    if (ack !== undefined && reply.result !== undefined) {
      await ack();
      reply.result._meta = { ...(reply.result._meta as Params | undefined), [META.subscriptionId]: id };
    }
    return reply;
  } finally {
    session.requests.delete(id);
    if (listen) {
      session.listens.delete(id);
      session.listenAcks.delete(id);
    }
  }
}

const declaresTasks = (client: ClientContext): boolean => {
  const extensions = client.capabilities.extensions;
  return typeof extensions === 'object' && extensions !== null && (extensions as Params)[TASKS_EXTENSION] !== undefined;
};

/**
 * Delivery to a modern client, which hears only what belongs to one of its
 * requests: progress; log messages when that request asked for a log level
 * and the message is at least that severe; and, on a `subscriptions/listen`
 * stream, the change notifications its filter names, tagged with its
 * subscription id. Server-wide news with no request (an upstream's list
 * changed, core's word that one went down) goes to each listener that asked
 * for it. Requests toward a modern client are for a later version (bridging
 * the eras): refused.
 */
export async function deliverModern(session: Session, ctx: Context, related: RequestId | undefined): Promise<Reply | undefined> {
  if (ctx.kind === 'request') {
    return errorReply(
      JSONRPCErrorCode.MethodNotFound,
      `a 2026-07-28 client cannot be sent ${ctx.message.method}; the upstream must ask with an input_required result`,
      { upstream: ctx.upstream },
    );
  }
  const message = ctx.message;
  const listeners =
    related === undefined ? [...session.listens.entries()] : session.listens.has(related) ? [[related, session.listens.get(related)!] as const] : [];
  if (listeners.length > 0 || related === undefined) {
    await Promise.all(
      listeners.map(async ([id]) => {
        await session.listenAcks.get(id)?.();
        // The acknowledgement may have narrowed the filter: read it after.
        const filter = session.listens.get(id);
        if (filter !== undefined && listenerWants(filter, message)) await session.peer.notify(tagged(message, id), { relatedRequestId: id });
      }),
    );
    return undefined;
  }
  if (message.method === 'notifications/message' && !logLevelAllows(session.requests.get(related)?.logLevel, message.params?.level)) return undefined;
  if (message.method === 'notifications/progress' || message.method === 'notifications/message') {
    await session.peer.notify(message, { relatedRequestId: related });
  }
  return undefined;
}
