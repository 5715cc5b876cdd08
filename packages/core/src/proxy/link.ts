import type { Channel } from '../wire/channel.js';
import { ProxyErrorCode } from '../wire/errors.js';
import type { Notification, Params, Reply, RequestId } from '../wire/jsonrpc.js';
import type { Logger } from '../wire/logger.js';
import { Peer, type RequestOptions } from '../wire/peer.js';
import type { Session } from './session.js';
import { Subscriptions } from './subscriptions.js';
import type { ClientContext, Era } from '../chain/client-context.js';
import { ModernHandshake } from '../eras/modern/modern-link.js';
import type { BridgedCall } from '../eras/bridge/bridge-call.js';
import { LegacyUpstreamBridge, type BridgeOptions } from '../eras/bridge/bridge-legacy-upstream.js';
import { ModernUpstreamBridge } from '../eras/bridge/bridge-modern-upstream.js';
import { MODERN_VERSION, type Discovery } from '../eras/modern/modern.js';

export interface LinkOptions {
  /** `modern`: a stateless link that carries 2026-07-28 requests, each with its client's envelope. */
  era?: Era;
  /** The upstream's pinned revision (`UpstreamSpec.protocol`); `auto` or absent probes with `server/discover`. */
  protocol?: string;
  /** The proxy's own `name` and `version`, for the requests it makes itself. */
  clientInfo?: Params;
  /**
   * On a modern link: where requests go once its upstream turns out to speak
   * only a 2025-era revision (the bridge, with links of its own); without
   * it, modern clients are refused such an upstream (-32022).
   */
  bridge?: BridgeRoute;
  /** Makes this a link of the bridge: a 2025-era upstream serving 2026-07-28 requests, initialized by the proxy with these options. */
  bridged?: BridgeOptions;
}

/** Serves a modern request on a 2025-era upstream through the bridge. */
export type BridgeRoute = (method: string, params: Params | undefined, options: RequestOptions<Origin>, client: ClientContext | undefined) => Promise<Reply>;

export type LinkMode = 'shared' | 'per-session';

/** Who a request on a link was sent for: the session and its own request id. */
export interface Origin {
  session: Session;
  downstreamId: RequestId | undefined;
  /** A call bridged for a modern client: what the upstream pushes about it goes there. */
  call?: BridgedCall;
}

// Request-scoped capabilities: a shared upstream asks for them during a
// call, and core routes the ask to the session that made the call. Roots are
// left as the first client declared them: they describe one client, and a
// server asks for them outside any call.
const CAPABILITIES_A_PROXY_ROUTES: Params = {
  sampling: {},
  elicitation: { form: {}, url: {} },
};

/**
 * One live connection to one upstream. The handshake lives here, in one
 * place: a per-session link passes the client's `initialize` through as it
 * is; a shared link initializes once (declaring every client capability
 * the proxy can route, since later sessions may need them), answers later
 * sessions from that result and counts resource subscriptions per session.
 * A link that is new but whose session already initialized (the upstream
 * restarted) is initialized again from what that session said.
 */
export class Link {
  readonly peer: Peer<Origin>;
  readonly sessions = new Set<Session>();
  readonly subscriptions = new Subscriptions<Session>();
  /** The list_changed notifications the upstream promised in its `initialize` result; none before it answered. */
  listChanged: readonly string[] = [];
  /** Notifications that named no request and could not be given to one (dropped; see modern-link.ts). */
  unattributed = 0;
  /** Called once the upstream has answered `initialize` (not merely started: a child that dies at start never is). */
  onready?: () => void;
  private ready: Promise<Reply> | undefined;
  /** `legacy` links initialize; `modern` ones probe once with `server/discover` and then send every request with its envelope. */
  readonly era: Era;
  /** The 2026-07-28 side of this link, when it is a modern one. */
  private readonly modern: ModernHandshake | undefined;
  /** Set on the bridge's links: a 2025-era upstream whose calls are parked for 2026-07-28 clients. */
  readonly bridged: LegacyUpstreamBridge | undefined;
  private legacyBridge: ModernUpstreamBridge | undefined;
  private readonly clientInfo: Params;
  private readonly channel: Channel;

  constructor(
    readonly name: string,
    readonly mode: LinkMode,
    channel: Channel,
    readonly log: Logger,
    options: LinkOptions = {},
  ) {
    this.era = options.bridged !== undefined ? 'modern' : (options.era ?? 'legacy');
    this.clientInfo = options.clientInfo ?? { name: 'mcproxy' };
    this.channel = channel;
    this.peer = new Peer<Origin>({
      channel,
      label: `upstream "${name}"`,
      errorData: { upstream: name },
      closedCode: ProxyErrorCode.UpstreamClosed,
      log,
    });
    this.bridged = options.bridged === undefined ? undefined : new LegacyUpstreamBridge(this, options.bridged);
    this.modern =
      this.era === 'modern' && this.bridged === undefined
        ? new ModernHandshake(this, options.protocol ?? 'auto', options.clientInfo, options.bridge)
        : undefined;
  }

  /** Does the wire say which of our requests each incoming message belongs to (streamable HTTP), so calls can share the link? */
  get relatesMessages(): boolean {
    return this.channel.relatesMessages === true;
  }

  /** Forwards a request for `session`, taking care of the handshake and shared subscriptions. */
  async forward(session: Session, method: string, params: Params | undefined, options: RequestOptions<Origin>, client?: ClientContext): Promise<Reply> {
    this.sessions.add(session);
    if (this.bridged !== undefined) return this.bridged.forward(method, params, options, client);
    if (this.modern !== undefined) return this.modern.forward(method, params, options, client);
    if (method === 'initialize') return this.initialize(params, options, this.mode === 'shared');
    if (this.ready === undefined && session.client !== undefined) {
      const hello = await this.initialize(this.helloOf(session), {}, true);
      if (hello.error !== undefined) return hello;
    }
    if (this.mode === 'shared' && (method === 'resources/subscribe' || method === 'resources/unsubscribe')) {
      const uri = typeof params?.uri === 'string' ? params.uri : undefined;
      const upstreamNeedsIt =
        uri !== undefined && (method === 'resources/subscribe' ? this.subscriptions.add(uri, session) : this.subscriptions.remove(uri, session));
      if (uri !== undefined && !upstreamNeedsIt) return { result: {} };
    }
    return this.peer.request(method, params, options);
  }

  /** On a modern link: what its upstream is (asked once with `server/discover`, unless pinned). */
  discover(options: RequestOptions<Origin> = {}): Promise<Discovery> | undefined {
    return this.modern?.discover(options);
  }

  /** On a modern link: the side that serves 2025-era sessions on its 2026-07-28 upstream. */
  legacyClients(): ModernUpstreamBridge {
    this.legacyBridge ??= new ModernUpstreamBridge(this, { era: 'modern', protocolVersion: MODERN_VERSION, capabilities: {}, info: this.clientInfo });
    return this.legacyBridge;
  }

  /** Passes a client notification on; a shared link says `initialized` itself, once. */
  async notify(notification: Notification): Promise<void> {
    // A modern server hears no client notifications but cancellations, which the peer sends itself.
    if (this.era === 'modern') return;
    if (notification.method === 'notifications/initialized' && this.mode === 'shared') return;
    await this.peer.notify(notification);
  }

  /** Forgets a session; on a shared link, drops the subscriptions only it held. */
  detach(session: Session): void {
    this.sessions.delete(session);
    this.legacyBridge?.detach(session);
    for (const uri of this.subscriptions.dropSession(session)) {
      void this.peer.request('resources/unsubscribe', { uri }).catch(() => undefined);
    }
  }

  /** The upstream answered an `initialize` (the proxy's own, on a bridged link): its promises count from now. */
  announceReady(result: Params): void {
    this.listChanged = listChangedOf(result);
    this.onready?.();
  }

  private initialize(params: Params | undefined, options: RequestOptions<Origin>, announce: boolean): Promise<Reply> {
    if (this.ready !== undefined) return this.ready;
    const shared = this.mode === 'shared';
    const sent = shared ? { ...params, capabilities: { ...CAPABILITIES_A_PROXY_ROUTES, ...((params?.capabilities as Params | undefined) ?? {}) } } : params;
    // A shared handshake outlives the session that started it: no signal.
    const hello = this.peer.request('initialize', sent, shared ? { timeouts: options.timeouts } : options);
    this.ready = hello.then(
      async (reply) => {
        if (reply.error !== undefined) {
          this.ready = undefined;
          return reply;
        }
        this.listChanged = listChangedOf(reply.result);
        if (announce) await this.peer.notify({ jsonrpc: '2.0', method: 'notifications/initialized' });
        this.onready?.();
        return reply;
      },
      (err: unknown) => {
        this.ready = undefined;
        throw err;
      },
    );
    return this.ready;
  }

  private helloOf(session: Session): Params {
    const c = session.client;
    return c === undefined ? {} : { protocolVersion: c.protocolVersion, capabilities: c.capabilities, clientInfo: c.info };
  }
}

/** The list_changed notification of each capability that can promise one. */
const NOTIFICATIONS: ReadonlyArray<readonly [string, string]> = [
  ['tools', 'notifications/tools/list_changed'],
  ['prompts', 'notifications/prompts/list_changed'],
  ['resources', 'notifications/resources/list_changed'],
];

/**
 * The list_changed notifications an upstream promised in its `initialize`
 * result (`capabilities.<list>.listChanged: true`): the only ones its
 * clients expect, so the only ones the proxy may send in its name.
 */
export function listChangedOf(result: Params): string[] {
  const caps = result.capabilities;
  if (typeof caps !== 'object' || caps === null) return [];
  return NOTIFICATIONS.filter(([key]) => ((caps as Params)[key] as Params | undefined)?.listChanged === true).map(([, method]) => method);
}
