import type { Channel } from '../wire/channel.js';
import type { ConnectContext, UpstreamSpec } from './upstream-spec.js';
import { errorDataOf, ProxyError, ProxyErrorCode } from '../wire/errors.js';
import { closeOrAbandon, Link, type LinkKind, type ProtocolOf } from './link.js';
import { limitReply, type LimitReporter } from '../wire/limits.js';
import { ListNews, type NewsHost } from './list-news.js';
import type { Logger } from '../wire/logger.js';
import type { Session } from '../proxy/session.js';
import { IDLE_LINK_MS } from '../wire/timeouts.js';
import { principalKey, type Principal } from '../chain/principal.js';
import { Supervisor, type Supervision, type UpstreamHealth } from './supervisor.js';

/** What a pool needs from the proxy it opens links for. */
export interface PoolHost extends NewsHost {
  readonly log: Logger;
  readonly limitReporter: LimitReporter;
  /** Wires what the upstream of a new link sends into the proxy. */
  wire(link: Link): void;
  /** The era side a new link of `kind` to upstream `name` gets (`EraRoads.sideOf`). */
  sideOf(kind: LinkKind, name: string): ProtocolOf;
  /** The era's own links (the bridge's), open or opening; `name`: taken out of use (retired), or all of them when absent. */
  eraLinks(take?: { name?: string }): Array<Promise<Link>>;
}

/**
 * Which shared (or 2026-07-28) link of an upstream a session uses: one per principal, so a
 * 2025-era server's per-session state (roots, log level, subscriptions) and a transport's
 * credentials never pass from one principal to another. Sessions without one share one.
 */
const sharedKey = (name: string, principal: Principal | undefined): string => `${name}\u0000${principalKey(principal) ?? ''}`;
const ofUpstream = (key: string, name: string): boolean => key.startsWith(`${name}\u0000`);

/**
 * Every link a proxy has open or is opening: one shared link per shared upstream and principal, the
 * session's own for a per-session one, one 2026-07-28 link per upstream. Opening goes through the
 * upstream's `Supervisor`, so an upstream that keeps failing is refused fast while it backs off,
 * and per-session links are counted against the upstream's `maxLinks`.
 */
export class LinkPool {
  /** Shared links by upstream and principal (`sharedKey`). */
  private readonly shared = new Map<string, Promise<Link>>();
  /** Each session's own links by upstream name, while they connect or are open. */
  private readonly own = new WeakMap<Session, Map<string, Promise<Link>>>();
  /** Principals' shared links with no session left, each closed when its timer fires unless a session came back. */
  private readonly idle = new Map<string, NodeJS.Timeout>();
  /** The modern links by upstream and principal (`sharedKey`): stateless, so a principal's modern requests share one whatever the mode. */
  private readonly modern = new Map<string, Promise<Link>>();
  private readonly supervisors = new Map<string, Supervisor>();
  /** Per-session links open (or opening) for each upstream, for `maxLinks`. */
  private readonly perSessionOpen = new Map<string, number>();
  /** Tells clients when an upstream's lists may have changed because it went down or came back. */
  private readonly news: ListNews;

  constructor(
    private specs: ReadonlyMap<string, UpstreamSpec>,
    private readonly supervision: Supervision,
    private readonly host: PoolHost,
  ) {
    this.news = new ListNews(host);
    this.supervise(new Set());
  }

  /** A supervisor for each upstream of `specs`, a fresh one for those `retired`. */
  private supervise(retired: ReadonlySet<string>): void {
    for (const name of [...this.supervisors.keys()]) if (!this.specs.has(name) || retired.has(name)) this.supervisors.delete(name);
    for (const name of this.specs.keys())
      if (!this.supervisors.has(name)) this.supervisors.set(name, new Supervisor(name, this.supervision, this.host.log.child({ upstream: name })));
  }

  /** Upstream `name`'s spec and supervisor, checked: a `NoRoute` error when there is none, the supervisor's while it backs off. */
  private upstream(name: string): { spec: UpstreamSpec; supervisor: Supervisor } {
    const spec = this.specs.get(name);
    const supervisor = this.supervisors.get(name);
    if (spec === undefined || supervisor === undefined) throw new ProxyError(ProxyErrorCode.NoRoute, `no upstream is named "${name}"`, { upstream: name });
    return { spec, supervisor };
  }

  /** What the pool knows of an upstream's health (state, restarts, last error). */
  health(name: string): UpstreamHealth | undefined {
    return this.supervisors.get(name)?.health();
  }

  /**
   * The link of `kind` to `name` for `session`, opened on first use: for
   * 2025-era requests the shared one (of the session's principal) or the
   * session's own; for 2026-07-28 requests the upstream's modern link (the principal's with `perPrincipal`).
   */
  async acquire(name: string, session: Session, era: 'legacy' | 'modern' = 'legacy'): Promise<Link> {
    const { spec, supervisor } = this.upstream(name);
    const own = era === 'legacy' && spec.mode !== 'shared';
    const principal = era === 'modern' && spec.perPrincipal !== true ? undefined : session.principal;
    const pool = own ? this.ownOf(session) : era === 'modern' ? this.modern : this.shared;
    const key = own ? name : sharedKey(name, principal);
    const existing = pool.get(key);
    if (existing !== undefined) {
      const link = await existing;
      if (link.peer.open) return link;
    }
    // A session that has closed opens nothing: no one would close the link again.
    if (!this.host.live(session)) throw new ProxyError(ProxyErrorCode.SessionClosed, `session ${session.id} has closed`, { session: session.id });
    supervisor.check();
    // A process per session, or per principal on a shared upstream: both are counted against `maxLinks`.
    const perSession = own || principal !== undefined;
    if (perSession) this.countPerSession(spec, 1);
    const opening = this.open(spec, supervisor, era, { principal });
    pool.set(key, opening);
    const gone = (): void => {
      if (perSession) this.countPerSession(spec, -1);
      if (pool.get(key) === opening) pool.delete(key);
    };
    opening.catch(gone);
    this.track(await opening, supervisor, gone);
    return opening;
  }

  /** Watches a link that opened: when it closes, `gone` runs, its supervisor hears of it, and clients hear its lists may have changed. */
  private track(link: Link, supervisor: Supervisor, gone: () => void): void {
    const closed = supervisor.opened();
    link.peer.onclose = (info) => {
      gone();
      link.protocol.closed();
      const byUs = this.host.closing() || link.peer.closedByUs;
      closed(info, byUs);
      if (byUs) link.log.info({ sessions: link.sessions.size }, `upstream "${link.name}" closed`);
      else this.news.down(link);
    };
  }

  /** Opens one link of the bridge for `principal`, not yet initialized (`BridgeRoutes` does that once its capabilities are known). */
  async openBridged(name: string, principal?: Principal): Promise<Link> {
    const { spec, supervisor } = this.upstream(name);
    supervisor.check();
    const link = await this.open(spec, supervisor, 'bridged', { principal });
    this.track(link, supervisor, () => undefined);
    return link;
  }

  /** The link to `name` that `session` already has, if any; never opens one. */
  linkFor(name: string, session: Session): Promise<Link> | undefined {
    if (session.era === 'modern') return this.modern.get(sharedKey(name, this.specs.get(name)?.perPrincipal === true ? session.principal : undefined));
    return this.shared.get(sharedKey(name, session.principal)) ?? this.own.get(session)?.get(name);
  }

  /** The upstreams `session` has a link of its own to. */
  ownLinks(session: Session): string[] {
    return [...(this.own.get(session)?.keys() ?? [])];
  }

  private ownOf(session: Session): Map<string, Promise<Link>> {
    let links = this.own.get(session);
    if (links === undefined) this.own.set(session, (links = new Map()));
    return links;
  }

  /** Closes the links of a session that has ended, and takes it off every shared link. */
  async release(session: Session): Promise<void> {
    const own = [...(this.own.get(session)?.values() ?? [])];
    this.own.delete(session);
    this.news.forget(session);
    await closeOrAbandon(own);
    for (const opening of [...this.shared.values(), ...this.modern.values(), ...this.host.eraLinks()])
      void opening.then(
        (l) => l.detach(session),
        () => undefined,
      );
    // A principal's shared and modern links outlive its last session for a while, then close: principals come and go, links must not pile up.
    if (session.principal === undefined) return;
    for (const pool of [this.shared, this.modern])
      for (const name of this.specs.keys()) {
        const key = sharedKey(name, session.principal);
        const opening = pool.get(key);
        if (opening !== undefined)
          void opening.then(
            (l) => l.sessions.size === 0 && this.closeWhenIdle(pool, key, opening),
            () => undefined,
          );
      }
  }

  /** Closes a principal's link of `pool` that still has no session after `IDLE_LINK_MS`. */
  private closeWhenIdle(pool: Map<string, Promise<Link>>, key: string, opening: Promise<Link>): void {
    const idleKey = `${pool === this.modern ? 'm' : 's'}${key}`;
    if (this.idle.has(idleKey)) return;
    const timer = setTimeout(() => {
      this.idle.delete(idleKey);
      void opening.then(
        (link) => {
          if (link.sessions.size > 0 || link.peer.tags().length > 0 || pool.get(key) !== opening) return;
          pool.delete(key);
          void link.peer.close();
        },
        () => undefined,
      );
    }, IDLE_LINK_MS);
    timer.unref?.();
    this.idle.set(idleKey, timer);
  }

  /** Closes every shared link (per-session ones close with their sessions). */
  async closeShared(): Promise<void> {
    const links = [...this.shared.values(), ...this.modern.values(), ...this.host.eraLinks({})];
    for (const timer of this.idle.values()) clearTimeout(timer);
    this.idle.clear();
    this.shared.clear();
    this.modern.clear();
    await closeOrAbandon(links);
  }

  /**
   * Takes new upstreams while serving: `specs` replaces the old table, and every link to an
   * upstream in `retired` (removed, or replaced by a new spec of the same name) leaves the pool, so
   * new requests open fresh links, and is returned for the caller to drain and close. Links that
   * are still connecting are returned too, once they settle.
   */
  async retire(specs: ReadonlyMap<string, UpstreamSpec>, retired: ReadonlySet<string>, sessions: Iterable<Session>): Promise<Link[]> {
    this.specs = specs;
    this.supervise(retired);
    const leaving: Array<Promise<Link>> = [];
    for (const name of retired) {
      // A replaced upstream may speak another era: it is found out again.
      leaving.push(...this.host.eraLinks({ name }));
      for (const pool of [this.shared, this.modern])
        for (const [key, opening] of [...pool]) {
          if (!ofUpstream(key, name)) continue;
          pool.delete(key);
          leaving.push(opening);
        }
    }
    for (const pool of [...sessions].flatMap((s) => this.own.get(s) ?? [])) {
      for (const name of retired) {
        const opening = pool.get(name);
        if (opening === undefined) continue;
        pool.delete(name);
        leaving.push(opening);
      }
    }
    const settled = await Promise.allSettled(leaving);
    return settled.flatMap((l) => (l.status === 'fulfilled' ? [l.value] : []));
  }

  /** Counts per-session links of `spec`, refusing one past its `maxLinks`. */
  private countPerSession(spec: UpstreamSpec, delta: 1 | -1): void {
    const now = (this.perSessionOpen.get(spec.name) ?? 0) + delta;
    if (delta > 0 && spec.maxLinks !== undefined && now > spec.maxLinks) {
      this.host.limitReporter.hit('perSessionChildren', spec.maxLinks, { upstream: spec.name });
      const per = spec.mode === 'shared' ? 'principal' : 'session';
      const reply = limitReply('perSessionChildren', spec.maxLinks, `upstream "${spec.name}" runs one process per ${per} and ${spec.maxLinks} are running`, {
        upstream: spec.name,
      });
      throw new ProxyError(reply.error!.code, reply.error!.message, reply.error!.data as Record<string, unknown>);
    }
    this.perSessionOpen.set(spec.name, now);
  }

  private async open(spec: UpstreamSpec, supervisor: Supervisor, era: LinkKind, context: ConnectContext): Promise<Link> {
    const kind = era === 'legacy' ? spec.mode : era;
    const log = this.host.log.child(kind === 'bridged' || kind === 'modern' ? { upstream: spec.name, era: kind } : { upstream: spec.name });
    let channel: Channel;
    try {
      channel = await spec.connect(context);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      const data = errorDataOf(err);
      supervisor.fail({ reason: why, data });
      throw new ProxyError(ProxyErrorCode.UpstreamUnavailable, `upstream "${spec.name}" is unavailable: ${why}`, { ...data, upstream: spec.name });
    }
    // The proxy closed while this connected: its close abandoned this opening, so the channel is closed here.
    if (this.host.closing()) {
      await channel.close().catch(() => undefined);
      throw new ProxyError(ProxyErrorCode.UpstreamUnavailable, `upstream "${spec.name}" opened after the proxy closed`, { upstream: spec.name });
    }
    const link = new Link(spec.name, era === 'legacy' ? spec.mode : 'shared', channel, log, this.host.sideOf(era, spec.name));
    this.host.wire(link);
    link.onready = () => this.news.up(link);
    try {
      await link.peer.start();
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      supervisor.fail({ reason: why, data: errorDataOf(err) });
      throw new ProxyError(ProxyErrorCode.UpstreamUnavailable, `upstream "${spec.name}" failed to start: ${why}`, { upstream: spec.name });
    }
    log.info({ mode: kind }, 'link open');
    return link;
  }
}
