/**
 * The server side of MCP 2026-07-28: what core does for a modern client, in
 * one place. A request's envelope becomes its `ClientContext` (or the error
 * the spec names), removed methods are -32601, a `subscriptions/listen` is
 * acknowledged before anything else is sent on it, replies are shaped as a
 * modern client must get them, and what goes back to the client is only
 * what belongs to one of its requests. The 2025-era server side is
 * `eras/legacy/server.ts`.
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
  type ListenFilter,
} from './modern.js';
import type { Session } from '../../proxy/session.js';
import type { RunRequest, ServerProtocol } from '../../proxy/server-side.js';
import { LISTEN_ACK, listenAck, type ListenAck } from './listen-ack.js';

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

/**
 * The 2026-07-28 server side of one request scope (a lone HTTP request) or
 * one stdio connection that began with a modern request: each request
 * brings its own client context, and open listens are kept until they end.
 */
export class ModernServer implements ServerProtocol {
  readonly era = 'modern';
  /** Requests in flight, by the client's id: each brings its own client context. */
  readonly requests = new Map<RequestId, ClientContext>();
  /** Open `subscriptions/listen` requests, by the client's id. */
  readonly listens = new Map<RequestId, ListenFilter>();
  /** Each open listen's acknowledgement, sent once (listen-ack.ts). */
  readonly listenAcks = new Map<RequestId, ListenAck>();

  constructor(
    private readonly session: Session,
    private readonly serverInfo: Params,
  ) {}

  clientOf(related: RequestId | undefined): ClientContext | undefined {
    return related === undefined ? undefined : this.requests.get(related);
  }

  /** Serves one 2026-07-28 request: its envelope becomes its client context (or the spec's error), and its reply is shaped for a modern client. */
  async serve(message: Request, run: RunRequest): Promise<Reply> {
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
    this.requests.set(id, envelope.client);
    // The acknowledgement goes out once, first on the stream, as late as may be (see listen-ack.ts).
    const ack = filter === undefined ? undefined : listenAck(this.session, this.listens, id, filter);
    if (filter !== undefined && ack !== undefined) {
      this.listens.set(id, filter);
      this.listenAcks.set(id, ack);
    }
    try {
      const reply = modernReply(method, await run(envelope.client, stripped, ack === undefined ? undefined : { [LISTEN_ACK]: ack }), this.serverInfo);
      if (ack !== undefined && reply.result !== undefined) {
        await ack();
        reply.result._meta = { ...(reply.result._meta as Params | undefined), [META.subscriptionId]: id };
      }
      return reply;
    } finally {
      this.requests.delete(id);
      if (listen) {
        this.listens.delete(id);
        this.listenAcks.delete(id);
      }
    }
  }

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
  async deliver(ctx: Context, related: RequestId | undefined): Promise<Reply | undefined> {
    if (ctx.kind === 'request') {
      return errorReply(
        JSONRPCErrorCode.MethodNotFound,
        `a 2026-07-28 client cannot be sent ${ctx.message.method}; the upstream must ask with an input_required result`,
        { upstream: ctx.upstream },
      );
    }
    const message = ctx.message;
    const { session, listens } = this;
    const listeners = related === undefined ? [...listens.entries()] : listens.has(related) ? [[related, listens.get(related)!] as const] : [];
    if (listeners.length > 0 || related === undefined) {
      await Promise.all(
        listeners.map(async ([id]) => {
          await this.listenAcks.get(id)?.();
          // The acknowledgement may have narrowed the filter: read it after.
          const filter = listens.get(id);
          if (filter !== undefined && listenerWants(filter, message)) await session.peer.notify(tagged(message, id), { relatedRequestId: id });
        }),
      );
      return undefined;
    }
    if (message.method === 'notifications/message' && !logLevelAllows(this.requests.get(related)?.logLevel, message.params?.level)) return undefined;
    if (message.method === 'notifications/progress' || message.method === 'notifications/message') {
      await session.peer.notify(message, { relatedRequestId: related });
    }
    return undefined;
  }
}

/** The open listens of a 2026-07-28 session (none for any other). */
export const listensOf = (session: Session): ReadonlyMap<RequestId, ListenFilter> | undefined =>
  session.protocol instanceof ModernServer ? session.protocol.listens : undefined;

const declaresTasks = (client: ClientContext): boolean => {
  const extensions = client.capabilities.extensions;
  return typeof extensions === 'object' && extensions !== null && (extensions as Params)[TASKS_EXTENSION] !== undefined;
};
