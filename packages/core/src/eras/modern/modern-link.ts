/**
 * The upstream side of MCP 2026-07-28: how a modern link learns its
 * upstream's era and sends requests, and where what a modern upstream sends
 * belongs, in one place. The 2025-era upstream side is
 * `eras/legacy/upstream.ts` (`initialize`, once per link).
 */
import type { MessageExtra } from '../../wire/channel.js';
import type { ClientContext } from '../../chain/client-context.js';
import { errorReply, isObject, type Notification, type Params, type Reply, type Request } from '../../wire/jsonrpc.js';
import { listChangedOf, type Link } from '../../links/link.js';
import type { Session } from '../../proxy/session.js';
import type { ChainHost } from '../../proxy/downstream.js';
import type { Origin, Target, Targets, UpstreamProtocol } from '../../links/upstream-side.js';
import { ModernUpstreamBridge } from '../bridge/bridge-modern-upstream.js';
import { BROADCAST } from '../legacy/targets.js';
import { listensOf } from './server.js';
import { discoveryOf, LEGACY_VERSIONS, McpErrorCode, MODERN_VERSION, MODERN_VERSIONS, subscriptionIdOf, withEnvelope, type Discovery } from './modern.js';
import type { RequestOptions } from '../../wire/outgoing.js';
import { ProxyError, URL_ELICITATION_REQUIRED } from '../../wire/errors.js';

/** How the proxy introduces itself in its own requests (the `server/discover` probe), unless told its name. */
const PROXY_CLIENT: ClientContext = { era: 'modern', protocolVersion: MODERN_VERSION, capabilities: {}, info: { name: 'mcproxy' } };

/**
 * The version to ask in again after a -32022: one this proxy speaks from the
 * server's `supported` list, other than the one just refused. The refused
 * version itself counts when the server lists it anyway (it may have refused
 * for another reason, once), so a second answer settles it.
 */
function retryVersion(reply: Reply, refused: string): string | undefined {
  if (reply.error?.code !== McpErrorCode.UnsupportedProtocolVersion) return undefined;
  const supported = (reply.error.data as { supported?: unknown } | undefined)?.supported;
  if (!Array.isArray(supported)) return undefined;
  return MODERN_VERSIONS.find((v) => v !== refused && supported.includes(v)) ?? MODERN_VERSIONS.find((v) => v === refused && supported.includes(v));
}

/** Serves a modern request on a 2025-era upstream through the bridge. */
export type BridgeRoute = (method: string, params: Params | undefined, options: RequestOptions<Origin>, client: ClientContext | undefined) => Promise<Reply>;

/**
 * The upstream side of a 2026-07-28 link: what it knows of its upstream's
 * era (pinned, or asked once per link), every request sent with its
 * client's envelope, and the side that serves 2025-era sessions on it.
 */
export class ModernUpstream implements UpstreamProtocol {
  readonly era = 'modern';
  private discovery: Promise<Discovery> | undefined;
  private legacyBridge: ModernUpstreamBridge | undefined;

  private readonly self: ClientContext;

  /** `info`: the proxy's own name and version, as its probe gives them. */
  constructor(
    private readonly link: Link,
    private readonly protocol: string,
    info?: Params,
    private readonly bridge?: BridgeRoute,
  ) {
    this.self = info === undefined ? PROXY_CLIENT : { ...PROXY_CLIENT, info };
  }

  /**
   * A modern request goes out with its client's envelope, once the upstream
   * is known to speak a modern revision. One that does not is bridged
   * (the pool's `BridgeLinks`, each link a `LegacyUpstreamBridge`); without
   * a bridge, the client is told -32022 with the revisions that upstream
   * speaks, so a dual-era client falls back to `initialize` on its own.
   */
  async forward(
    _session: Session,
    method: string,
    params: Params | undefined,
    options: RequestOptions<Origin>,
    client: ClientContext | undefined,
  ): Promise<Reply> {
    const found = await this.discover(options);
    const { link } = this;
    // The bridge works with the signal (made now, from core's cancellation, when that is what came).
    if (found.era !== 'modern' && this.bridge !== undefined)
      return this.bridge(method, params, { ...options, signal: options.signal ?? options.cancel?.signal }, client);
    if (found.era !== 'modern') {
      return errorReply(
        McpErrorCode.UnsupportedProtocolVersion,
        `upstream "${link.name}" does not speak MCP ${MODERN_VERSIONS.join(' or ')} (${found.why}); reach it with a ${LEGACY_VERSIONS[0]} client`,
        {
          supported: [...LEGACY_VERSIONS],
          upstream: link.name,
        },
      );
    }
    return link.peer.request(method, withEnvelope(params, client ?? this.self, found.version), options);
  }

  /** A modern server hears no client notifications but cancellations, which the peer sends itself. */
  async notify(_notification: Notification): Promise<void> {}

  targets(message: Request | Notification, extra?: MessageExtra): Targets {
    return modernTargets(this.link, message, extra);
  }

  detach(session: Session): void {
    this.legacyBridge?.detach(session);
  }

  closed(): void {}

  /** The side that serves 2025-era sessions on this 2026-07-28 upstream. */
  legacyClients(host: ChainHost): ModernUpstreamBridge {
    this.legacyBridge ??= new ModernUpstreamBridge(this.link, { ...this.self, protocolVersion: MODERN_VERSION, capabilities: {} }, host);
    return this.legacyBridge;
  }

  /** What the upstream's era is: pinned, or asked once per link with `server/discover`. */
  discover(options: RequestOptions<Origin> = {}): Promise<Discovery> {
    if (this.discovery !== undefined) return this.discovery;
    const { link } = this;
    if (this.protocol !== 'auto') {
      const found: Discovery = MODERN_VERSIONS.includes(this.protocol)
        ? { era: 'modern', version: this.protocol, result: {} }
        : { era: 'legacy', why: `it is configured as protocol ${this.protocol}` };
      this.discovery = Promise.resolve(found);
      if (found.era === 'modern') link.onready?.();
      return this.discovery;
    }
    // The probe outlives the request that started it: no signal.
    const ask = (version: string): Promise<Reply> =>
      link.peer.request('server/discover', withEnvelope(undefined, { ...this.self, protocolVersion: version }, version), { timeouts: options.timeouts });
    const probe = ask(MODERN_VERSION).then((reply) => {
      // A modern server that will not take our first choice names what it takes: ask once more in one we speak.
      const retry = retryVersion(reply, MODERN_VERSION);
      return retry === undefined ? reply : ask(retry);
    });
    this.discovery = probe.then(
      (reply) => {
        // The transport's credentials answered, not the upstream: its era is still unknown, and the
        // request gets their refusal (a user to send to authorize, or why no token could be had).
        if (refusedByCredentials(reply)) {
          this.discovery = undefined;
          throw new ProxyError(reply.error!.code, reply.error!.message, isObject(reply.error!.data) ? reply.error!.data : undefined);
        }
        const found = discoveryOf(reply);
        if (found.era === 'modern') {
          link.listChanged = listChangedOf(found.result);
          link.onready?.();
        } else link.log.info({ why: found.why }, `upstream "${link.name}" is not a ${MODERN_VERSION} server`);
        return found;
      },
      (err: unknown) => {
        this.discovery = undefined;
        throw err;
      },
    );
    return this.discovery;
  }
}

/**
 * Where a notification that names no request goes (a log or progress from a
 * stdio or HTTP+SSE upstream, whose wire cannot say): to the one call in
 * flight on the link, when there is exactly one (listens are not calls: they
 * carry no logs). Otherwise it is counted and dropped, with a debug line,
 * rather than given to a request it may not belong to.
 */
function soleCall(link: Link, method: string): Target[] {
  const calls = link.peer
    .tags()
    .filter((t): t is Origin => t?.downstreamId !== undefined && t.session.peer.open && listensOf(t.session)?.has(t.downstreamId) !== true);
  if (calls.length === 1) return [{ session: calls[0]!.session, related: calls[0]!.downstreamId }];
  link.unattributed += 1;
  link.log.debug(
    { method, inFlight: calls.length, dropped: link.unattributed },
    'a notification that names no request, with no single call to give it to: dropped',
  );
  return [];
}

/**
 * A modern upstream sends only notifications, and each belongs to a request:
 * to the one its transport ties it to, or (on stdio) the listen request its
 * subscription id names. An upstream's own acknowledgement of a listen is
 * not passed on: the proxy acknowledged the client's listen itself. A
 * request from a modern upstream (which the spec forbids) is refused.
 */
function modernTargets(link: Link, message: Request | Notification, extra?: MessageExtra): Targets {
  if ('id' in message) return { refused: `a ${MODERN_VERSION} server may not send requests` };
  if (message.method === 'notifications/subscriptions/acknowledged') return { to: [] };
  const subscription = subscriptionIdOf(message);
  const related = extra?.relatedRequestId ?? subscription;
  if (related === undefined) {
    // Server-wide news with no request to carry it: every listener on the link, filtered on delivery.
    if (BROADCAST.test(message.method) || message.method === 'notifications/resources/updated') {
      return { to: [...link.sessions].filter((s) => s.peer.open).map((session) => ({ session, related: undefined })) };
    }
    return { to: soleCall(link, message.method) };
  }
  const byId = link.peer.attribute(related, false);
  const tag = byId?.tag;
  if (tag === undefined || !tag.session.peer.open) return { to: [] };
  return { to: [{ session: tag.session, related: tag.downstreamId }] };
}

/** A reply made by an upstream's credentials (-32042: a user must authorize first; or `reason: "credentials"`), never by the upstream itself. */
function refusedByCredentials(reply: Reply): boolean {
  const error = reply.error;
  return error !== undefined && (error.code === URL_ELICITATION_REQUIRED || (isObject(error.data) && error.data.reason === 'credentials'));
}
