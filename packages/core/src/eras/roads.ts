/**
 * The one place that chooses an era for an upstream: which link a request
 * takes (2025-era or 2026-07-28), whether an upstream is pinned or probed,
 * and when a request is bridged, either way. Proxy and pool reach it only
 * through `eras/index.ts`.
 */
import type { Context } from '../chain/middleware.js';
import type { Principal } from '../chain/principal.js';
import { ProxyErrorCode } from '../wire/errors.js';
import { errorReply, type Params, type Reply, type RequestId } from '../wire/jsonrpc.js';
import type { LimitReporter, Limits } from '../wire/limits.js';
import type { Logger } from '../wire/logger.js';
import type { Timeouts } from '../wire/timeouts.js';
import { cancellationOf } from '../wire/cancellation.js';
import type { ChainHost } from '../proxy/downstream.js';
import type { Link, LinkKind, ProtocolOf } from '../links/link.js';
import type { Session } from '../proxy/session.js';
import { LegacyUpstreamBridge } from './bridge/bridge-legacy-upstream.js';
import type { ParkedCalls } from './bridge/bridge-parked.js';
import { refusesLegacy } from './bridge/bridge-proxy.js';
import type { UpstreamProtocol } from '../links/upstream-side.js';
import { BridgeRoutes } from './bridge/bridge-route.js';
import { LegacyUpstream } from './legacy/upstream.js';
import { acknowledgeListen } from './modern/listen-ack.js';
import { MODERN_VERSIONS } from './modern/modern.js';
import { ModernUpstream, type BridgeRoute } from './modern/modern-link.js';

/** What the roads need of the proxy and its pool. */
export interface RoadHost extends ChainHost {
  readonly log: Logger;
  readonly limits: Limits;
  readonly limitReporter: LimitReporter;
  /** Where bridged calls wait for their 2026-07-28 clients' answers. */
  readonly parked: ParkedCalls;
  /** The proxy's own `name` and `version`, for the requests it makes itself. */
  clientInfo(): Params;
  /** Does upstream `name` want links per principal in both eras (`UpstreamSpec.perPrincipal`)? */
  perPrincipal(name: string): boolean;
  /** Upstream `name`'s pinned revision (`UpstreamSpec.protocol`); undefined or `auto` probes. */
  protocolOf(name: string): string | undefined;
  /** The link of `kind` to `name` for `session` (the pool's), opened on first use. */
  acquire(name: string, session: Session, kind: 'legacy' | 'modern'): Promise<Link>;
  /** Opens one bridge link to `name` for `principal` through its supervisor, not yet initialized. */
  openBridged(name: string, principal?: Principal): Promise<Link>;
  /** False once `session` has closed. */
  live(session: Session): boolean;
  /** Where progress for the client's request `downstreamId` goes. */
  progressTo(session: Session, downstreamId: RequestId | undefined, upstream: string): ((params: Params) => void) | undefined;
}

/** The deadline of a `subscriptions/listen`: none; it lasts until the client cancels it or the upstream ends it. */
const UNTIL_CANCELLED: Timeouts = { requestMs: Infinity, maxMs: Infinity, resetOnProgress: false };

export class EraRoads {
  /** The bridge's links to each 2025-era upstream that serves 2026-07-28 clients. */
  private readonly bridges: BridgeRoutes;
  /** Upstreams found to speak only 2026-07-28 (their `initialize` refused, their `server/discover` modern): 2025-era sessions are bridged. */
  private readonly modernOnlyFound = new Set<string>();

  constructor(private readonly host: RoadHost) {
    const { parked, limits, limitReporter } = host;
    this.bridges = new BridgeRoutes({
      parked,
      limits,
      limitReporter,
      open: (name, principal) => host.openBridged(name, principal),
      perPrincipal: (name) => host.perPrincipal(name),
    });
  }

  /** The era side a new link of `kind` to `name` gets. */
  sideOf(kind: LinkKind, name: string): ProtocolOf {
    const { host } = this;
    if (kind === 'legacy') return (link) => new LegacyUpstream(link);
    if (kind === 'bridged') return (link) => new LegacyUpstreamBridge(link, { lot: host.parked, clientInfo: host.clientInfo() });
    const bridge: BridgeRoute = (method, params, options, client) => this.bridges.serve(name, method, params, options, client);
    return (link) => new ModernUpstream(link, host.protocolOf(name) ?? 'auto', host.clientInfo(), bridge);
  }

  /** Every bridge link open or opening. */
  links(): Array<Promise<Link>> {
    return this.bridges.all();
  }

  /** Takes the bridge links of `name` (retired), or of every upstream, out; `name` is found out again when next used. */
  takeAll(name?: string): Array<Promise<Link>> {
    if (name !== undefined) this.modernOnlyFound.delete(name);
    return this.bridges.takeAll(name);
  }

  /**
   * Forwards one request or notification of the chain to upstream `name`,
   * on the road its client's era and the upstream's call for. A request
   * that surely never reached the upstream (a stale HTTP session, a
   * connection refused while it restarted) is sent once more, on a fresh
   * link if the old one closed.
   */
  async forward(ctx: Context, name: string, params: Params | undefined, downstreamId: RequestId | undefined): Promise<Reply | undefined> {
    const session = ctx.session as Session;
    const modern = ctx.client?.era === 'modern';
    // A 2025-era client on an upstream that speaks only 2026-07-28: the proxy holds the session.
    if (!modern && this.modernOnly(name)) return this.bridgeLegacy(ctx, name, params, downstreamId);
    // No middleware acknowledged the listen with what it honours: it is acknowledged as asked before it leaves.
    if (ctx.kind === 'request' && ctx.message.method === 'subscriptions/listen') await acknowledgeListen(ctx);
    for (let attempt = 1; ; attempt += 1) {
      const link = await this.host.acquire(name, session, modern ? 'modern' : 'legacy');
      // The session may have closed while this waited (in middleware, for the link): joining the
      // link now would keep the session on it for good, since its close has already detached it.
      if (!this.host.live(session)) return ctx.kind === 'notification' ? undefined : closedBeforeForwarding(session, ctx.message.method);
      if (ctx.kind === 'notification') {
        await link.notify({ ...ctx.message, params });
        return undefined;
      }
      const { method } = ctx.message;
      const timeouts = modern && method === 'subscriptions/listen' ? UNTIL_CANCELLED : this.host.timeouts;
      const onProgress = this.host.progressTo(session, downstreamId, link.name);
      // The link's peer listens to core's cancellation itself (no AbortSignal made); a bridge link's side is given the signal.
      const cancel = link.protocol instanceof LegacyUpstream || link.protocol instanceof ModernUpstream ? cancellationOf(ctx) : undefined;
      const signal = cancel === undefined ? ctx.signal : undefined;
      const reply = await link.forward(session, method, params, { cancel, signal, onProgress, tag: { session, downstreamId }, timeouts }, ctx.client);
      const upstreamSession = modern ? undefined : link.upstreamSession;
      if (upstreamSession !== undefined) session.noteUpstreamSession(name, upstreamSession);
      if (!modern && method === 'initialize' && refusesLegacy(reply) && (await this.probeModernOnly(name, session, link))) {
        return this.bridgeLegacy(ctx, name, params, downstreamId);
      }
      if (attempt > 1 || !undelivered(reply) || ctx.signal.aborted) return reply;
      link.log.info({ method }, 'request not delivered; sending it once more');
    }
  }

  /** Are 2025-era sessions of `name` served through the bridge (pinned to a modern revision, or found so)? */
  private modernOnly(name: string): boolean {
    const protocol = this.host.protocolOf(name);
    return (protocol !== undefined && MODERN_VERSIONS.includes(protocol)) || this.modernOnlyFound.has(name);
  }

  /**
   * After `legacy`'s `initialize` was refused: asks the upstream with
   * `server/discover` whether it speaks 2026-07-28. If so, 2025-era sessions
   * are bridged from now on and the refused link is closed.
   */
  private async probeModernOnly(name: string, session: Session, legacy: Link): Promise<boolean> {
    const protocol = this.host.protocolOf(name);
    if (protocol !== 'auto' && protocol !== undefined) return false;
    const link = await this.host.acquire(name, session, 'modern');
    const found = await (link.protocol as ModernUpstream).discover();
    if (found.era !== 'modern') return false;
    this.modernOnlyFound.add(name);
    legacy.log.info({}, `upstream "${name}" speaks only ${found.version}: 2025-era sessions are bridged`);
    void legacy.peer.close();
    return true;
  }

  /** Serves a 2025-era session's message on a 2026-07-28-only upstream (`ModernUpstreamBridge`); what the upstream asks for is pushed to the client through the chain. */
  private async bridgeLegacy(ctx: Context, name: string, params: Params | undefined, downstreamId: RequestId | undefined): Promise<Reply | undefined> {
    const session = ctx.session as Session;
    // Cancellations are the peer's; initialized and roots/list_changed mean nothing to a 2026-07-28 server.
    if (ctx.kind === 'notification') return undefined;
    const link = await this.host.acquire(name, session, 'modern');
    if (!this.host.live(session)) return closedBeforeForwarding(session, ctx.message.method);
    link.sessions.add(session);
    const onProgress = this.host.progressTo(session, downstreamId, link.name);
    const options = { signal: ctx.signal, onProgress, tag: { session, downstreamId }, timeouts: this.host.timeouts };
    const side: UpstreamProtocol = (link.protocol as ModernUpstream).legacyClients(this.host);
    return side.forward(session, ctx.message.method, params, options, ctx.client);
  }
}

/** A reply core made for a request that surely never reached the upstream. */
const undelivered = (reply: Reply): boolean =>
  reply.error?.code === ProxyErrorCode.UpstreamUnavailable && (reply.error.data as { delivered?: unknown } | undefined)?.delivered === false;

const closedBeforeForwarding = (session: Session, method: string): Reply =>
  errorReply(ProxyErrorCode.SessionClosed, `the client session closed before ${method} was forwarded`, { session: session.id });
