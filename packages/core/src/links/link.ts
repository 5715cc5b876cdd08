import type { Channel } from '../wire/channel.js';
import { ProxyErrorCode } from '../wire/errors.js';
import type { Notification, Params, Reply } from '../wire/jsonrpc.js';
import type { Logger } from '../wire/logger.js';
import { Peer } from '../wire/peer.js';
import type { RequestOptions } from '../wire/outgoing.js';
import type { ClientContext } from '../chain/client-context.js';
import type { Session } from '../proxy/session.js';
import type { Origin, UpstreamProtocol } from './upstream-side.js';

export type LinkMode = 'shared' | 'per-session';

/** Which era side a link gets: 2025-era, 2026-07-28, or a bridge link (a 2025-era upstream serving 2026-07-28 requests). */
export type LinkKind = 'legacy' | 'modern' | 'bridged';

/** Makes a link's era side once the link exists (`eras/index.ts` chooses which). */
export type ProtocolOf = (link: Link) => UpstreamProtocol;

/**
 * One live connection to one upstream: its peer (ids toward the upstream),
 * the sessions using it, and its era's upstream side (`protocol`), which
 * owns the handshake, what goes out and where what comes in belongs.
 */
export class Link {
  readonly peer: Peer<Origin>;
  readonly sessions = new Set<Session>();
  /** The list_changed notifications the upstream promised when it answered its handshake; none before. */
  listChanged: readonly string[] = [];
  /** Notifications that named no request and could not be given to one (dropped). */
  unattributed = 0;
  /** Called once the upstream has answered its handshake (not merely started: a child that dies at start never is). */
  onready?: () => void;
  readonly protocol: UpstreamProtocol;
  private readonly channel: Channel;

  constructor(
    readonly name: string,
    readonly mode: LinkMode,
    channel: Channel,
    readonly log: Logger,
    protocolOf: ProtocolOf,
  ) {
    this.channel = channel;
    this.peer = new Peer<Origin>({
      channel,
      label: `upstream "${name}"`,
      errorData: { upstream: name },
      closedCode: ProxyErrorCode.UpstreamClosed,
      log,
    });
    this.protocol = protocolOf(this);
  }

  /** The session id the upstream gave this link (`Mcp-Session-Id`), where its transport has one. */
  get upstreamSession(): string | undefined {
    return this.channel.sessionId;
  }

  /** Does the wire say which of our requests each incoming message belongs to (streamable HTTP), so calls can share the link? */
  get relatesMessages(): boolean {
    return this.channel.relatesMessages === true;
  }

  /** Forwards a request for `session` in the link's era. */
  forward(session: Session, method: string, params: Params | undefined, options: RequestOptions<Origin>, client?: ClientContext): Promise<Reply> {
    this.sessions.add(session);
    return this.protocol.forward(session, method, params, options, client);
  }

  /** Passes a client notification on, as the era says. */
  notify(notification: Notification): Promise<void> {
    return this.protocol.notify(notification);
  }

  /** Forgets a session (its era side drops what only it held). */
  detach(session: Session): void {
    this.sessions.delete(session);
    this.protocol.detach(session);
  }

  /** The upstream answered its handshake: its promises count from now. */
  announceReady(result: Params): void {
    this.listChanged = listChangedOf(result);
    this.onready?.();
  }
}

/** The list_changed notification of each capability that can promise one. */
const NOTIFICATIONS: ReadonlyArray<readonly [string, string]> = [
  ['tools', 'notifications/tools/list_changed'],
  ['prompts', 'notifications/prompts/list_changed'],
  ['resources', 'notifications/resources/list_changed'],
];

/**
 * The list_changed notifications an upstream promised in its handshake's
 * result (`capabilities.<list>.listChanged: true`): the only ones its
 * clients expect, so the only ones the proxy may send in its name.
 */
export function listChangedOf(result: Params): string[] {
  const caps = result.capabilities;
  if (typeof caps !== 'object' || caps === null) return [];
  return NOTIFICATIONS.filter(([key]) => ((caps as Params)[key] as Params | undefined)?.listChanged === true).map(([, method]) => method);
}

const STILL_OPENING: unique symbol = Symbol('still opening');

/**
 * Closes links that are open, and abandons those still opening: a connect that never settles must
 * not hold up a close. What an abandoned opening yields later is closed then.
 */
export async function closeOrAbandon(openings: ReadonlyArray<Promise<Link>>): Promise<void> {
  const closing = openings.map(async (opening) => {
    // An opening that has settled wins the race (its reaction is queued first).
    const now: Link | typeof STILL_OPENING | undefined = await Promise.race<Link | typeof STILL_OPENING>([opening, STILL_OPENING]).catch(() => undefined);
    if (now === STILL_OPENING) {
      void opening.then(
        (link) => link.peer.close(),
        () => undefined,
      );
      return;
    }
    if (now !== undefined) await now.peer.close();
  });
  await Promise.allSettled(closing);
}
