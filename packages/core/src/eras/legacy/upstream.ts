import type { MessageExtra } from '../../wire/channel.js';
import type { ClientContext } from '../../chain/client-context.js';
import type { Notification, Params, Reply, Request } from '../../wire/jsonrpc.js';
import type { RequestOptions } from '../../wire/outgoing.js';
import { listChangedOf, type Link } from '../../links/link.js';
import type { Session } from '../../proxy/session.js';
import { Subscriptions } from './subscriptions.js';
import type { Origin, Targets, UpstreamProtocol } from '../../links/upstream-side.js';
import { legacyTargets } from './targets.js';

// Request-scoped capabilities: a shared upstream asks for them during a
// call, and core routes the ask to the session that made the call. Roots are
// left as the first client declared them: they describe one client, and a
// server asks for them outside any call.
const CAPABILITIES_A_PROXY_ROUTES: Params = {
  sampling: {},
  elicitation: { form: {}, url: {} },
};

/**
 * The 2025-era upstream side: the handshake, once per link. A per-session
 * link passes the client's `initialize` through as it is; a shared link
 * initializes once (declaring every client capability the proxy can route,
 * since later sessions may need them), answers later sessions from that
 * result and counts resource subscriptions per session. A link that is new
 * but whose session already initialized (the upstream restarted) is
 * initialized again from what that session said.
 */
export class LegacyUpstream implements UpstreamProtocol {
  readonly era = 'legacy';
  /** Who is subscribed to which resource, on a shared link. */
  readonly subscriptions = new Subscriptions<Session>();
  private ready: Promise<Reply> | undefined;

  constructor(private readonly link: Link) {}

  forward(session: Session, method: string, params: Params | undefined, options: RequestOptions<Origin>, _client?: ClientContext): Promise<Reply> {
    const { link } = this;
    // The hot path: a link that has said hello, a request that needs nothing of the handshake or of the subscriptions.
    if (this.ready !== undefined && method !== 'initialize' && !(link.mode === 'shared' && subscribing(method)))
      return link.peer.request(method, params, options);
    return this.prepared(session, method, params, options);
  }

  private async prepared(session: Session, method: string, params: Params | undefined, options: RequestOptions<Origin>): Promise<Reply> {
    const { link } = this;
    if (method === 'initialize') return this.initialize(params, options, link.mode === 'shared');
    if (this.ready === undefined && session.client !== undefined) {
      const hello = await this.initialize(helloOf(session.client), {}, true);
      if (hello.error !== undefined) return hello;
    }
    if (link.mode === 'shared' && subscribing(method)) {
      const uri = typeof params?.uri === 'string' ? params.uri : undefined;
      const upstreamNeedsIt =
        uri !== undefined && (method === 'resources/subscribe' ? this.subscriptions.add(uri, session) : this.subscriptions.remove(uri, session));
      if (uri !== undefined && !upstreamNeedsIt) return { result: {} };
    }
    return link.peer.request(method, params, options);
  }

  /** A shared link says `initialized` itself, once. */
  async notify(notification: Notification): Promise<void> {
    if (notification.method === 'notifications/initialized' && this.link.mode === 'shared') return;
    await this.link.peer.notify(notification);
  }

  targets(message: Request | Notification, extra?: MessageExtra): Targets {
    return legacyTargets(this.link, this.subscriptions, message, extra);
  }

  /** On a shared link, drops the subscriptions only `session` held. */
  detach(session: Session): void {
    for (const uri of this.subscriptions.dropSession(session)) {
      void this.link.peer.request('resources/unsubscribe', { uri }).catch(() => undefined);
    }
  }

  closed(): void {}

  private initialize(params: Params | undefined, options: RequestOptions<Origin>, announce: boolean): Promise<Reply> {
    if (this.ready !== undefined) return this.ready;
    const { link } = this;
    const shared = link.mode === 'shared';
    const sent = shared ? { ...params, capabilities: { ...CAPABILITIES_A_PROXY_ROUTES, ...((params?.capabilities as Params | undefined) ?? {}) } } : params;
    // A shared handshake outlives the session that started it: no signal.
    const hello = link.peer.request('initialize', sent, shared ? { timeouts: options.timeouts } : options);
    this.ready = hello.then(
      async (reply) => {
        if (reply.error !== undefined) {
          this.ready = undefined;
          return reply;
        }
        link.listChanged = listChangedOf(reply.result);
        if (announce) await link.peer.notify({ jsonrpc: '2.0', method: 'notifications/initialized' });
        link.onready?.();
        return reply;
      },
      (err: unknown) => {
        this.ready = undefined;
        throw err;
      },
    );
    return this.ready;
  }
}

/** A subscription change, which a shared link counts per session before it goes (or does not) to the upstream. */
const subscribing = (method: string): boolean => method === 'resources/subscribe' || method === 'resources/unsubscribe';

/** The `initialize` params a client's context says again. */
const helloOf = (c: ClientContext): Params => ({ protocolVersion: c.protocolVersion, capabilities: c.capabilities, clientInfo: c.info });
