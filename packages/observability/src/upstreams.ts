import { PROBE_SESSION_ID, type Era, type Logger, type Proxy, type Session } from '@mcproxy/core';

/** An upstream's state as health endpoints report it. */
export type UpstreamStatus = 'up' | 'starting' | 'backing-off' | 'down';

/** One entry of `GET /health/servers`. */
export interface UpstreamReport {
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

interface Probed {
  done: boolean;
  ok: boolean;
  latencyMs: number | null;
  era: Era;
  error: string | null;
  running: boolean;
}

/**
 * Keeps each upstream's state for health, readiness, metrics and the
 * dashboard: the supervisor's view (links open, backing off, restarts, last
 * error) joined with an active probe every `intervalMs` (`ping`, or
 * `server/discover` for an upstream pinned to 2026-07-28; see `Proxy.probe`).
 * Probing opens an upstream's link if it has none, so required upstreams are
 * started before the first client comes.
 */
export class UpstreamBoard {
  private readonly probed = new Map<string, Probed>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly proxy: Proxy,
    private readonly config: ReadonlyMap<string, UpstreamConfig>,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {
    for (const name of proxy.names) {
      const era: Era = config.get(name)?.protocol === '2026-07-28' ? 'modern' : 'legacy';
      this.probed.set(name, { done: false, ok: false, latencyMs: null, era, error: null, running: false });
    }
  }

  /** Probes every upstream now and then every `intervalMs`. */
  start(): void {
    if (this.timer !== undefined) return;
    void this.probeAll();
    this.timer = setInterval(() => void this.probeAll(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Probes each upstream not already being probed; resolves when all are done. */
  async probeAll(): Promise<void> {
    await Promise.all(this.proxy.names.map((name) => this.probeOne(name)));
  }

  private async probeOne(name: string): Promise<void> {
    const p = this.probed.get(name)!;
    if (p.running) return;
    p.running = true;
    try {
      const r = await this.proxy.probe(name, Math.min(this.intervalMs, 5000));
      if (p.done && p.ok !== r.ok)
        this.log.info(
          { upstream: name, ok: r.ok, error: r.error },
          r.ok ? `upstream "${name}" answers its probe again` : `upstream "${name}" failed its probe`,
        );
      Object.assign(p, { done: true, ok: r.ok, era: r.era, error: r.error ?? null, latencyMs: r.ok ? Math.round(r.latencyMs * 10) / 10 : p.latencyMs });
    } catch (err) {
      Object.assign(p, { done: true, ok: false, error: err instanceof Error ? err.message : String(err) });
    } finally {
      p.running = false;
    }
  }

  /** The state of one upstream: supervision first (backing off), then the last probe and whether a link is open. */
  stateOf(name: string): UpstreamStatus {
    const health = this.proxy.health(name);
    const p = this.probed.get(name);
    if (health?.state === 'backing-off') return 'backing-off';
    if (p === undefined || !p.done) return 'starting';
    return p.ok && health?.state === 'up' ? 'up' : 'down';
  }

  /** Every upstream's report, in configuration order. */
  async list(): Promise<UpstreamReport[]> {
    const sessions = await this.sessionsPerUpstream();
    return this.proxy.names.map((name) => {
      const health = this.proxy.health(name);
      const p = this.probed.get(name)!;
      const state = this.stateOf(name);
      const lastError = health?.lastError?.reason ?? (state === 'up' ? null : p.error);
      return {
        name,
        state,
        latencyMs: p.latencyMs,
        restarts: health?.restarts ?? 0,
        lastError: lastError ?? null,
        sessions: sessions.get(name) ?? 0,
        era: p.era,
        required: this.config.get(name)?.required ?? false,
        ...(health?.retryAt === undefined ? {} : { retryAt: health.retryAt }),
      };
    });
  }

  /** Why the proxy is not ready (a required upstream not up), or undefined when it is. */
  notReady(): string | undefined {
    const down = this.proxy.names.filter((name) => this.config.get(name)?.required && this.stateOf(name) !== 'up');
    if (down.length === 0) return undefined;
    return down.map((name) => `required upstream "${name}" is ${this.stateOf(name)}${this.reason(name)}`).join('; ');
  }

  private reason(name: string): string {
    const why = this.proxy.health(name)?.lastError?.reason ?? this.probed.get(name)?.error;
    return why ? `: ${why}` : '';
  }

  /** Client sessions on each upstream's links: a shared link's sessions, or the sessions with a link of their own. */
  private async sessionsPerUpstream(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    let probe: Session | undefined;
    for (const session of this.proxy.sessions) {
      if (session.id === PROBE_SESSION_ID) probe = session;
      else for (const name of session.links.keys()) counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    for (const name of this.proxy.names) {
      const shared = probe === undefined ? undefined : await this.proxy.linkFor(name, probe)?.catch(() => undefined);
      if (shared?.mode !== 'shared') continue;
      let n = 0;
      for (const s of shared.sessions) if (s.id !== PROBE_SESSION_ID) n++;
      counts.set(name, n);
    }
    return counts;
  }
}
