import { PROBE_SESSION_ID, type Era, type Logger, type Proxy, type Session } from '@mcproxy/core';

/** An upstream's state as health endpoints report it. */
export type UpstreamStatus = 'up' | 'starting' | 'backing-off' | 'down';

/** One entry of `GET /health/servers`. */
export interface UpstreamReport {
  /** The endpoint whose upstream this is: its path (`/mcp` for the top-level one, a route's path otherwise). */
  route: string;
  name: string;
  state: UpstreamStatus;
  /** The last successful probe's round trip, in milliseconds (null before one succeeded). */
  latencyMs: number | null;
  restarts: number;
  lastError: string | null;
  /** Client sessions on its links now. */
  sessions: number;
  era: Era;
  required: boolean;
  /** When it is tried again, while backing off (ms since the epoch). */
  retryAt?: number;
}

export interface UpstreamConfig {
  required: boolean;
  /** The revision it is pinned to, or `auto`. */
  protocol: string;
}

/** One endpoint the board watches: its path, its proxy, and its upstreams' settings. */
export interface ObservedRoute {
  route: string;
  proxy: Proxy;
  upstreams: ReadonlyMap<string, UpstreamConfig>;
}

/** The route of a proxy observed alone (`Observability.start(proxy)`). */
export const DEFAULT_ROUTE = '/mcp';

interface Probed {
  done: boolean;
  ok: boolean;
  latencyMs: number | null;
  era: Era;
  error: string | null;
  running: boolean;
  /** The supervisor's restart count when a probe first succeeded; null while the upstream has never been up. */
  restartsBeforeUp: number | null;
}

/**
 * Keeps each upstream's state for health, readiness, metrics and the
 * dashboard, for every route: the supervisor's view (links open, backing
 * off, restarts, last error) joined with an active probe every `intervalMs`
 * (`ping`, or `server/discover` for an upstream pinned to 2026-07-28; see
 * `Proxy.probe`). Probing opens an upstream's link if it has none, so
 * required upstreams are started before the first client comes. `setRoutes`
 * replaces what it watches (after a reload): upstreams and routes that went
 * away are forgotten at once, new ones start as `starting`.
 */
export class UpstreamBoard {
  /** Probe results by route, then upstream name. */
  private readonly probed = new Map<string, Map<string, Probed>>();
  private watched: readonly ObservedRoute[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    routes: readonly ObservedRoute[],
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {
    this.setRoutes(routes);
  }

  /** The routes watched now, in configuration order. */
  get routes(): readonly ObservedRoute[] {
    return this.watched;
  }

  /** Watches these routes from now on; kept upstreams keep their probe results (a changed proxy or era is probed again at the next round). */
  setRoutes(routes: readonly ObservedRoute[]): void {
    const before = this.probed;
    const next = new Map<string, Map<string, Probed>>();
    for (const { route, proxy, upstreams } of routes) {
      const kept = before.get(route);
      const mine = new Map<string, Probed>();
      for (const name of proxy.names) {
        const era: Era = upstreams.get(name)?.protocol === '2026-07-28' ? 'modern' : 'legacy';
        mine.set(name, kept?.get(name) ?? { done: false, ok: false, latencyMs: null, era, error: null, running: false, restartsBeforeUp: null });
      }
      next.set(route, mine);
    }
    before.clear();
    for (const [route, mine] of next) before.set(route, mine);
    this.watched = [...routes];
    // New upstreams are probed now rather than at the next tick.
    if (this.timer !== undefined) void this.probeAll();
  }

  /** Probes every upstream now and then every `intervalMs`. */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.probeAll(), this.intervalMs);
    this.timer.unref();
    void this.probeAll();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Probes each upstream not already being probed; resolves when all are done. */
  async probeAll(): Promise<void> {
    await Promise.all(this.watched.flatMap((r) => r.proxy.names.map((name) => this.probeOne(r, name))));
  }

  private probedOf(route: string, name: string): Probed | undefined {
    return this.probed.get(route)?.get(name);
  }

  private async probeOne({ route, proxy }: ObservedRoute, name: string): Promise<void> {
    const p = this.probedOf(route, name);
    if (p === undefined || p.running) return;
    p.running = true;
    try {
      const r = await proxy.probe(name, Math.min(this.intervalMs, 5000));
      if (p.done && p.ok !== r.ok)
        this.log.info(
          { route, upstream: name, ok: r.ok, error: r.error },
          r.ok ? `upstream "${name}" answers its probe again` : `upstream "${name}" failed its probe`,
        );
      Object.assign(p, { done: true, ok: r.ok, era: r.era, error: r.error ?? null, latencyMs: r.ok ? Math.round(r.latencyMs * 10) / 10 : p.latencyMs });
      if (r.ok && p.restartsBeforeUp === null) p.restartsBeforeUp = proxy.health(name)?.restarts ?? 0;
    } catch (err) {
      Object.assign(p, { done: true, ok: false, error: err instanceof Error ? err.message : String(err) });
    } finally {
      p.running = false;
    }
  }

  /**
   * Restarts of one upstream of a route since it was first up (a probe
   * answered): the supervisor counts every failed link, and an upstream
   * that never came up only failed to start, however often it was tried.
   */
  restartsOf(route: ObservedRoute, name: string): number {
    const before = this.probedOf(route.route, name)?.restartsBeforeUp ?? null;
    return before === null ? 0 : Math.max(0, (route.proxy.health(name)?.restarts ?? 0) - before);
  }

  /** The state of one upstream of a route: supervision first (backing off), then the last probe and whether a link is open. */
  stateOf(route: ObservedRoute, name: string): UpstreamStatus {
    const health = route.proxy.health(name);
    const p = this.probedOf(route.route, name);
    if (health?.state === 'backing-off') return 'backing-off';
    if (p === undefined || !p.done) return 'starting';
    return p.ok && health?.state === 'up' ? 'up' : 'down';
  }

  /** Every upstream's report, route by route, each in configuration order. */
  async list(): Promise<UpstreamReport[]> {
    const all: UpstreamReport[] = [];
    for (const r of this.watched) {
      const sessions = await sessionsPerUpstream(r.proxy);
      for (const name of r.proxy.names) {
        const health = r.proxy.health(name);
        const p = this.probedOf(r.route, name);
        const state = this.stateOf(r, name);
        const lastError = health?.lastError?.reason ?? (state === 'up' ? null : (p?.error ?? null));
        all.push({
          route: r.route,
          name,
          state,
          latencyMs: p?.latencyMs ?? null,
          restarts: this.restartsOf(r, name),
          lastError: lastError ?? null,
          sessions: sessions.get(name) ?? 0,
          era: p?.era ?? 'legacy',
          required: r.upstreams.get(name)?.required ?? false,
          ...(health?.retryAt === undefined ? {} : { retryAt: health.retryAt }),
        });
      }
    }
    return all;
  }

  /** Why the proxy is not ready (a required upstream of some route not up), or undefined when it is. */
  notReady(): string | undefined {
    const why: string[] = [];
    const several = this.watched.length > 1;
    for (const r of this.watched) {
      for (const name of r.proxy.names) {
        if (!r.upstreams.get(name)?.required) continue;
        const state = this.stateOf(r, name);
        if (state === 'up') continue;
        const reason = r.proxy.health(name)?.lastError?.reason ?? this.probedOf(r.route, name)?.error;
        why.push(`required upstream "${name}"${several ? ` of ${r.route}` : ''} is ${state}${reason ? `: ${reason}` : ''}`);
      }
    }
    return why.length === 0 ? undefined : why.join('; ');
  }
}

/** Client sessions on each upstream's links: a shared link's sessions, or the sessions with a link of their own. */
async function sessionsPerUpstream(proxy: Proxy): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let probe: Session | undefined;
  for (const session of proxy.sessions) {
    if (session.id === PROBE_SESSION_ID) probe = session;
    else for (const name of proxy.ownLinks(session)) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  for (const name of proxy.names) {
    const shared = probe === undefined ? undefined : await proxy.linkFor(name, probe)?.catch(() => undefined);
    if (shared?.mode !== 'shared') continue;
    let n = 0;
    for (const s of shared.sessions) if (s.id !== PROBE_SESSION_ID) n++;
    counts.set(name, n);
  }
  return counts;
}
