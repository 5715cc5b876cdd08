/**
 * 2025-era clients on a 2026-07-28 upstream. Their session lives in the
 * proxy: `initialize` is answered from the upstream's `server/discover`,
 * `ping` locally, `logging/setLevel` is kept and sent as each request's log
 * level, `resources/subscribe` becomes the filter of one
 * `subscriptions/listen` per session. Every other request is stamped with
 * the envelope the session's `initialize` gave; an `input_required` answer
 * becomes requests pushed to the client, whose answers go back as
 * `inputResponses` with the upstream's exact `requestState`, as many rounds
 * as it takes: the client sees one ordinary call.
 */
import type { ClientContext } from '../../chain/client-context.js';
import { ProxyErrorCode } from '../../wire/errors.js';
import { errorReply, isObject, JSONRPCErrorCode, type Notification, type Params, type Reply, type Request } from '../../wire/jsonrpc.js';
import type { Link } from '../../links/link.js';
import type { Origin, Targets, UpstreamProtocol } from '../../links/upstream-side.js';
import type { MessageExtra } from '../../wire/channel.js';
import type { ChainHost } from '../../proxy/downstream.js';
import { pushToClient } from './bridge-proxy.js';
import { LEGACY_VERSIONS, LOG_LEVELS, META, MODERN_VERSION, withEnvelope } from '../modern/modern.js';
import type { RequestOptions } from '../../wire/outgoing.js';
import type { Session } from '../../proxy/session.js';
import type { Timeouts } from '../../wire/timeouts.js';

/** Asks the legacy client `method` for the request being served; resolves to its answer. */
export type PushToClient = (method: string, params: Params | undefined) => Promise<Reply>;

/** Most `input_required` rounds one call may take before the proxy gives up on it. */
export const MAX_ROUNDS = 16;
/** How long to wait before a retry that carries only `requestState` (the server asked for no input, only for time). */
const STATE_ONLY_PAUSE_MS = 100;
const UNTIL_CANCELLED: Timeouts = { requestMs: Infinity, maxMs: Infinity, resetOnProgress: false };

/** What the proxy keeps of one legacy session on a modern upstream. */
interface Held {
  level: string | undefined;
  uris: Set<string>;
  listen: AbortController | undefined;
}

/** A result as a 2025-era client knows it: no `resultType`, no caching hints. */
function legacyReply(reply: Reply): Reply {
  if (reply.result === undefined) return reply;
  const { resultType: _r, ttlMs: _t, cacheScope: _c, ...rest } = reply.result;
  return { result: rest };
}

/** A `server/discover` result as an `InitializeResult` for a client that asked for `requested`. */
export function initializeFromDiscover(discover: Params, requested: unknown, fallbackName: string): Params {
  const version = typeof requested === 'string' && LEGACY_VERSIONS.includes(requested) ? requested : LEGACY_VERSIONS[0];
  const meta = isObject(discover._meta) ? discover._meta : {};
  const serverInfo = isObject(meta[META.serverInfo]) ? meta[META.serverInfo] : { name: fallbackName, version: '0.0.0' };
  const result: Params = { protocolVersion: version, capabilities: isObject(discover.capabilities) ? discover.capabilities : {}, serverInfo };
  if (typeof discover.instructions === 'string') result.instructions = discover.instructions;
  return result;
}

/**
 * The upstream side for 2025-era sessions on a 2026-07-28-only upstream. It
 * rides the upstream's modern link (whose own side, `ModernUpstream`, finds
 * where the upstream's messages go) and pushes what the upstream asks for
 * to the client through the chain.
 */
export class ModernUpstreamBridge implements UpstreamProtocol {
  readonly era = 'legacy';
  private discovered: Promise<Reply> | undefined;
  private readonly sessions = new WeakMap<Session, Held>();

  constructor(
    private readonly link: Link,
    private readonly self: ClientContext,
    private readonly host: ChainHost,
  ) {}

  /** Serves one request of a legacy `session` on the modern upstream; what the upstream asks for is pushed to the request's client. */
  async forward(session: Session, method: string, params: Params | undefined, options: RequestOptions<Origin>): Promise<Reply> {
    const held = this.heldFor(session);
    const target = { session, downstreamId: options.tag?.downstreamId, upstream: this.link.name, signal: options.signal ?? new AbortController().signal };
    const push: PushToClient = (pushed, pushedParams) => pushToClient(this.host, target, pushed, pushedParams);
    switch (method) {
      case 'initialize': {
        const found = await this.discover(options.timeouts);
        if (found.error !== undefined) return found;
        const result = initializeFromDiscover(found.result ?? {}, params?.protocolVersion, this.link.name);
        this.listen(session, held, result.capabilities as Params);
        return { result };
      }
      case 'ping':
        return { result: {} };
      case 'logging/setLevel': {
        const level = params?.level;
        if (typeof level !== 'string' || !LOG_LEVELS.includes(level)) {
          return errorReply(JSONRPCErrorCode.InvalidParams, `Invalid params: level must be one of ${LOG_LEVELS.join(', ')}`);
        }
        held.level = level;
        return { result: {} };
      }
      case 'resources/subscribe':
      case 'resources/unsubscribe': {
        if (typeof params?.uri !== 'string') return errorReply(JSONRPCErrorCode.InvalidParams, 'Invalid params: uri must be a string');
        const before = held.uris.size;
        if (method === 'resources/subscribe') held.uris.add(params.uri);
        else held.uris.delete(params.uri);
        if (held.uris.size !== before) {
          const found = await this.discover(options.timeouts);
          this.listen(session, held, isObject(found.result?.capabilities) ? found.result.capabilities : {});
        }
        return { result: {} };
      }
      default:
        return legacyReply(await this.rounds(method, params, this.clientOf(session, held), options, push));
    }
  }

  /** A 2026-07-28 server hears no client notifications but cancellations, which the peer sends itself. */
  async notify(): Promise<void> {}

  targets(message: Request | Notification, extra?: MessageExtra): Targets {
    return this.link.protocol.targets(message, extra);
  }

  closed(): void {}

  /** The session has ended: its listen ends too. */
  detach(session: Session): void {
    this.sessions.get(session)?.listen?.abort(new Error('the session closed'));
    this.sessions.delete(session);
  }

  /** Sends the request, and after each `input_required` answer its retry, until the upstream answers for good. */
  private async rounds(method: string, params: Params | undefined, client: ClientContext, options: RequestOptions<Origin>, push: PushToClient): Promise<Reply> {
    let sent = params;
    for (let round = 1; ; round++) {
      const reply = await this.link.peer.request(method, withEnvelope(sent, client, MODERN_VERSION), options);
      if (reply.result?.resultType !== 'input_required') return reply;
      if (round > MAX_ROUNDS) {
        return errorReply(ProxyErrorCode.LimitExceeded, `upstream "${this.link.name}" asked for input more than ${MAX_ROUNDS} times in one ${method}`, {
          upstream: this.link.name,
        });
      }
      const asked = isObject(reply.result.inputRequests) ? Object.entries(reply.result.inputRequests) : [];
      const responses: Params = {};
      for (const [key, request] of asked) {
        if (!isObject(request) || typeof request.method !== 'string') {
          return errorReply(JSONRPCErrorCode.InternalError, `upstream "${this.link.name}" sent a malformed input request "${key.slice(0, 100)}"`, {
            upstream: this.link.name,
          });
        }
      }
      // Asked at once, as the upstream asked them at once; the first failure ends the call.
      const answers = await Promise.all(
        asked.map(async ([key, request]) => {
          const { method: pushed, params: pushedParams } = request as { method: string; params?: Params };
          return { key, pushed, answer: await push(pushed, pushedParams) };
        }),
      );
      for (const { key, pushed, answer } of answers) {
        if (answer.error !== undefined) {
          return errorReply(answer.error.code, `the client could not answer the upstream's ${pushed}: ${answer.error.message}`, { upstream: this.link.name });
        }
        responses[key] = answer.result ?? {};
      }
      if (asked.length === 0) await new Promise((r) => setTimeout(r, STATE_ONLY_PAUSE_MS));
      if (options.signal?.aborted) return errorReply(ProxyErrorCode.SessionClosed, `${method} was cancelled`);
      const { requestState: _old, inputResponses: _previous, ...rest } = params ?? {};
      const state = reply.result.requestState;
      sent = { ...rest, ...(asked.length > 0 ? { inputResponses: responses } : {}), ...(typeof state === 'string' ? { requestState: state } : {}) };
    }
  }

  /** The upstream's `server/discover`, asked once per link in the proxy's own name. */
  private discover(timeouts: Timeouts | undefined): Promise<Reply> {
    this.discovered ??= this.link.peer.request('server/discover', withEnvelope(undefined, this.self, MODERN_VERSION), { timeouts }).then((reply) => {
      if (reply.error !== undefined) this.discovered = undefined;
      return reply;
    });
    return this.discovered;
  }

  /**
   * (Re)opens the session's one listen: list changes the upstream promises,
   * and the URIs the session subscribed to. Notifications on it reach the
   * session as a 2025-era server would send them.
   */
  private listen(session: Session, held: Held, capabilities: Params): void {
    held.listen?.abort(new Error('the filter changed'));
    const changes = (kind: string): boolean => isObject(capabilities[kind]) && (capabilities[kind] as Params).listChanged === true;
    const notifications: Params = {};
    for (const [kind, key] of [
      ['tools', 'toolsListChanged'],
      ['prompts', 'promptsListChanged'],
      ['resources', 'resourcesListChanged'],
    ] as const)
      if (changes(kind)) notifications[key] = true;
    if (held.uris.size > 0) notifications.resourceSubscriptions = [...held.uris];
    if (Object.keys(notifications).length === 0) {
      held.listen = undefined;
      return;
    }
    const controller = new AbortController();
    held.listen = controller;
    void this.link.peer
      .request('subscriptions/listen', withEnvelope({ notifications }, this.clientOf(session, held), MODERN_VERSION), {
        signal: controller.signal,
        tag: { session, downstreamId: undefined },
        timeouts: UNTIL_CANCELLED,
      })
      .catch(() => undefined);
  }

  private heldFor(session: Session): Held {
    let held = this.sessions.get(session);
    if (held === undefined) {
      held = { level: undefined, uris: new Set(), listen: undefined };
      this.sessions.set(session, held);
    }
    return held;
  }

  /**
   * The envelope a legacy session's requests carry: what its `initialize`
   * said, at the modern revision, with its log level. A session that never
   * set one hears everything, as a 2025-era server's clients do until they
   * ask for less (a 2026-07-28 server logs nothing to a request without one).
   */
  private clientOf(session: Session, held: Held): ClientContext {
    const c = session.client ?? { era: 'legacy' as const, protocolVersion: LEGACY_VERSIONS[0]!, capabilities: {}, info: {} };
    return { ...c, logLevel: held.level ?? LOG_LEVELS[0]! };
  }
}
