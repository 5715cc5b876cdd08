import type { Link } from './link.js';
import type { Session } from '../proxy/session.js';

/** What list news needs from the proxy. */
export interface NewsHost {
  /** False once `session` has closed. */
  live(session: Session): boolean;
  /** True while the proxy shuts down: a link that closes then was closed by us. */
  closing(): boolean;
  /** Sends `methods` to `sessions` through the chain, as if `upstream` had sent them. */
  announce(upstream: string, sessions: readonly Session[], methods: readonly string[]): void;
}

/**
 * Tells clients when an upstream's lists may have changed because the upstream itself went away or
 * came back. Clients keep lists and ask again only on list_changed, and a dead or restarted server
 * says nothing: so the proxy says it for it. Down: when a link closes on its own, its open sessions
 * hear list_changed for the lists it declared `listChanged`, and are remembered. Up: when a new
 * link to that upstream has answered `initialize`, the remembered sessions still open hear it again
 * (for the lists the new one declares), once. A link that never initializes sends neither, so a
 * crash loop costs at most one of each per failure.
 */
export class ListNews {
  /** Per upstream: the sessions told it went down and not yet told it is back. */
  private readonly told = new Map<string, Set<Session>>();

  constructor(private readonly host: NewsHost) {}

  /** `link` closed on its own (never call this for a link the proxy closed). */
  down(link: Link): void {
    if (this.host.closing()) return;
    const sessions = [...link.sessions].filter((s) => this.live(s));
    if (link.listChanged.length === 0 || sessions.length === 0) return;
    const told = this.told.get(link.name) ?? new Set<Session>();
    for (const s of sessions) told.add(s);
    this.told.set(link.name, told);
    this.host.announce(link.name, sessions, link.listChanged);
  }

  /** A new `link` answered `initialize`: the upstream is up again. */
  up(link: Link): void {
    const told = this.told.get(link.name);
    if (told === undefined) return;
    this.told.delete(link.name);
    if (this.host.closing()) return;
    const sessions = [...told].filter((s) => this.live(s));
    if (link.listChanged.length > 0 && sessions.length > 0) this.host.announce(link.name, sessions, link.listChanged);
  }

  /** A session ended: it is told nothing more. */
  forget(session: Session): void {
    for (const [name, told] of this.told) {
      told.delete(session);
      if (told.size === 0) this.told.delete(name);
    }
  }

  private live(session: Session): boolean {
    return session.peer.open && this.host.live(session);
  }
}
