import { randomUUID } from 'node:crypto';
import type { Channel } from '../wire/channel.js';
import { ProxyErrorCode } from '../wire/errors.js';
import type { Params } from '../wire/jsonrpc.js';
import { logId, type Logger } from '../wire/logger.js';
import { Peer } from '../wire/peer.js';
import type { ClientContext, Era } from '../chain/client-context.js';
import type { ListenFilter } from '../eras/modern/modern.js';
import type { ListenAck } from '../eras/modern/listen-ack.js';
import type { RequestId } from '../wire/jsonrpc.js';
import type { SessionInfo } from '../chain/session-info.js';
import type { Link } from './link.js';
import type { Principal } from '../chain/principal.js';
import type { CloseHook } from '../chain/session-close.js';

export interface SessionOptions {
  /** The era, when the transport knows it (an HTTP session is legacy, a lone modern POST modern); else the first message decides. */
  era?: Era;
  /** Middleware state to use instead of a fresh map (modern requests of one face share theirs). */
  state?: Map<symbol | string, unknown>;
  /** Who the face authenticated for this session; it stays bound to the session for its life. */
  principal?: Principal;
}

/**
 * One downstream connection's life: its peer (ids toward the client), what
 * the client said in `initialize`, state for middleware, and the links that
 * were opened for it alone.
 */
export class Session implements SessionInfo {
  readonly id: string;
  readonly state: Map<symbol | string, unknown>;
  readonly peer: Peer<never>;
  /** Per-session links by upstream name, while they connect or are open. */
  readonly links = new Map<string, Promise<Link>>();
  /** What a legacy client said in `initialize`; undefined before it and for modern sessions. */
  client: ClientContext | undefined;
  /** `legacy` or `modern`; undefined until the first message of a stdio session says. */
  era: Era | undefined;
  /** Modern requests in flight, by the client's id: each brings its own client context. */
  readonly requests = new Map<RequestId, ClientContext>();
  /** Open `subscriptions/listen` requests of a modern session, by the client's id. */
  readonly listens = new Map<RequestId, ListenFilter>();
  /** Each open listen's acknowledgement, sent once (listen-ack.ts). */
  readonly listenAcks = new Map<RequestId, ListenAck>();
  readonly log: Logger;
  readonly principal: Principal | undefined;
  private readonly closeHooks = new Set<CloseHook>();

  constructor(channel: Channel, log: Logger, id: string = randomUUID(), options: SessionOptions = {}) {
    this.id = id;
    this.era = options.era;
    this.state = options.state ?? new Map();
    this.principal = options.principal;
    this.log = log.child({ session: logId(id) });
    this.peer = new Peer({
      channel,
      label: `session ${id}`,
      errorData: { session: id },
      closedCode: ProxyErrorCode.SessionClosed,
      log: this.log,
    });
  }

  onClose(hook: CloseHook): () => void {
    this.closeHooks.add(hook);
    return () => this.closeHooks.delete(hook);
  }

  /** The close hooks, handed over once (the session is ending). */
  takeCloseHooks(): CloseHook[] {
    const hooks = [...this.closeHooks];
    this.closeHooks.clear();
    return hooks;
  }

  /** Remembers what the client said of itself; core needs it to re-open links and to check capabilities. */
  hello(params: Params | undefined): void {
    if (params === undefined) return;
    const str = (v: unknown, d: string): string => (typeof v === 'string' ? v : d);
    const obj = (v: unknown): Params => (typeof v === 'object' && v !== null ? (v as Params) : {});
    this.client = {
      era: 'legacy',
      protocolVersion: str(params.protocolVersion, ''),
      capabilities: obj(params.capabilities),
      info: obj(params.clientInfo),
    };
  }
}

/** The client a message toward `session` goes to: the modern request it belongs to, or the legacy session's client. */
export function clientOf(session: Session, related: RequestId | undefined): ClientContext | undefined {
  if (session.era !== 'modern') return session.client;
  return related === undefined ? undefined : session.requests.get(related);
}
