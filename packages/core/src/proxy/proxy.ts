import type { Channel } from '../wire/channel.js';
import { Cancellation } from '../wire/cancellation.js';
import { compose } from '../chain/compose.js';
import { randomBytes } from 'node:crypto';
import { ConfigError, ProxyErrorCode } from '../wire/errors.js';
import { errorReply, type Params, type Reply, type RequestId } from '../wire/jsonrpc.js';
import { hopsOf, withHop } from '../wire/hops.js';
import type { Link } from '../links/link.js';
import { EraRoads, openProbeSession, ParkedCalls, PROBE_SESSION_ID, probeUpstream, serverSide, type ProbeResult, type RoadHost } from '../eras/index.js';
import { Inbound } from './inbound.js';
import { progress } from './downstream.js';
import { LinkPool } from '../links/link-pool.js';
import { specsByName, type UpstreamSpec } from '../links/upstream-spec.js';
import { LimitReporter, resolveLimits, type Limits } from '../wire/limits.js';
import { resolveSupervision, type Supervision, type UpstreamHealth } from '../links/supervisor.js';
import { silentLogger, type Logger } from '../wire/logger.js';
import type { Context, Dispatch, Middleware } from '../chain/middleware.js';
import { announceListChanges, deliverToSession, routeFromUpstream } from './routing.js';
import { Session, type SessionOptions } from './session.js';
import { MemorySessionRecords, type SessionRecords } from '../state/session-records.js';
import type { SecretKeys } from '../state/keys.js';
import { runCloseHooks } from '../chain/session-close.js';
import { resolveTimeouts, type Timeouts } from '../wire/timeouts.js';
import { ALL_LISTS, drainLinks, type Reconfiguration, type Reconfigured } from '../links/reconfigure.js';

/** The downstream request id behind a request context (middleware never sees ids): copies and forks keep it. */
const ORIGIN = Symbol('mcproxy.origin');
type Related = Context & { [ORIGIN]?: RequestId };

export interface ProxyOptions {
  upstreams: readonly UpstreamSpec[];
  middleware?: readonly Middleware[];
  timeouts?: Partial<Timeouts>;
  log?: Logger;
  /** This proxy's name in hop lists (default: `mcproxy-` and random hex); unique across a chain. */
  id?: string;
  /** Most proxies a request may have passed through before this one (default 8). */
  maxHops?: number;
  /** Bounds on sessions, requests and bytes; transports read theirs from here too. */
  limits?: Partial<Limits>;
  /** Counts and logs limit hits; one per process is best, shared with the transports. */
  limitReporter?: LimitReporter;
  /** How upstreams that fail are retried. */
  supervision?: Partial<Supervision>;
  /** Where 2025-era session records are kept (default: in memory). */
  sessionRecords?: SessionRecords;
  /** Where the keys that seal parked calls' `requestState` come from (default: random per process). */
  keys?: SecretKeys;
  /** Who the proxy says it is in results to modern clients that no upstream named (`_meta["io.modelcontextprotocol/serverInfo"]`). */
  serverInfo?: { name: string; version: string; [key: string]: unknown };
}

/**
 * One proxy: one chain of middleware between every downstream session it
 * accepts and its upstreams. Server-side transports hand it channels with
 * `accept`; it opens links to upstreams when a session first needs them.
 *
 * @example
 * const proxy = createProxy({ upstreams: [{ name: 'fs', mode: 'shared', connect }] });
 * await proxy.accept(downstreamChannel);
 */
export class Proxy {
  readonly sessions = new Set<Session>();
  timeouts: Timeouts;
  readonly log: Logger;
  /** This proxy's name in the hop list of every request it forwards. */
  readonly id: string;
  readonly maxHops: number;
  /** Upstream names in configuration order; every context carries this list. */
  names: readonly string[];
  private readonly links: LinkPool;
  private specs: ReadonlyMap<string, UpstreamSpec>;
  private probeSession: Promise<Session> | undefined;
  /** The way in from clients. */
  private readonly inbound: Inbound;
  readonly limits: Limits;
  readonly limitReporter: LimitReporter;
  private closing = false;
  private toUpstream!: Dispatch;
  private toDownstream!: Dispatch;
  /** What routing and the eras reach the proxy through (never its fields). */
  private readonly host: RoadHost;
  /** The one place that chooses each upstream's era and bridges either way. */
  private readonly roads: EraRoads;
  readonly serverInfo: Params;
  /** Calls of 2025-era upstreams waiting for their 2026-07-28 clients to answer an input_required round. */
  readonly parked: ParkedCalls;
  /** What each 2025-era session's requests carry and its links were given: who, what `initialize` said, upstream session ids. */
  private readonly records: SessionRecords;

  constructor(options: ProxyOptions) {
    const specs = specsByName(options.upstreams);
    this.names = [...specs.keys()];
    this.specs = specs;
    this.timeouts = resolveTimeouts(options.timeouts);
    this.log = options.log ?? silentLogger;
    this.limits = resolveLimits(options.limits);
    this.limitReporter = options.limitReporter ?? new LimitReporter(this.log);
    this.records = options.sessionRecords ?? new MemorySessionRecords();
    const { parkedCalls, parkedCallMs, parkedCallsPerPrincipal } = this.limits;
    this.parked = new ParkedCalls(parkedCalls, parkedCallMs, this.limitReporter, parkedCallsPerPrincipal, { keys: options.keys });
    this.host = this.hostFor();
    this.inbound = new Inbound(this, this.host, (ctx) => this.toUpstream(ctx));
    this.roads = new EraRoads(this.host);
    this.links = new LinkPool(specs, resolveSupervision(options.supervision), {
      log: this.log,
      limitReporter: this.limitReporter,
      live: (session) => this.sessions.has(session),
      closing: () => this.closing,
      wire: (link) => this.wire(link),
      announce: (upstream, sessions, methods) => void announceListChanges(this.host, upstream, sessions, methods),
      sideOf: (kind, name) => this.roads.sideOf(kind, name),
      eraLinks: (take) => (take === undefined ? this.roads.links() : this.roads.takeAll(take.name)),
    });
    this.id = options.id ?? `mcproxy-${randomBytes(4).toString('hex')}`;
    this.maxHops = options.maxHops ?? 8;
    this.serverInfo = { ...(options.serverInfo ?? { name: 'mcproxy', version: '0.0.0' }) };
    if (!Number.isInteger(this.maxHops) || this.maxHops < 1) throw new ConfigError(`maxHops must be a whole number of at least 1, not ${this.maxHops}`);
    this.chain(options.middleware ?? []);
  }

  /** What routing and the eras need of this proxy, as one object: they never touch its fields. */
  private hostFor(): RoadHost {
    const proxy = this;
    const host: RoadHost = {
      get upstreams() {
        return proxy.names;
      },
      get timeouts() {
        return proxy.timeouts;
      },
      log: this.log,
      limits: this.limits,
      limitReporter: this.limitReporter,
      parked: this.parked,
      toDownstream: (ctx) => this.toDownstream(ctx),
      relate: (ctx, id) => void ((ctx as Related)[ORIGIN] = id),
      relatedOf: (ctx) => (ctx as Related)[ORIGIN],
      linkFor: (name, session) => this.links.linkFor(name, session),
      clientInfo: () => ({ name: this.serverInfo.name, version: this.serverInfo.version }),
      protocolOf: (name) => this.specs.get(name)?.protocol,
      perPrincipal: (name) => this.specs.get(name)?.perPrincipal === true,
      acquire: (name, session, kind) => this.links.acquire(name, session, kind),
      openBridged: (name, principal) => this.links.openBridged(name, principal),
      live: (session) => this.sessions.has(session),
      progressTo: (session, downstreamId, upstream) =>
        downstreamId === undefined ? undefined : (p: Params) => progress(host, session, downstreamId, upstream, p),
    };
    return host;
  }

  /** Builds the chain both ways; a request keeps the chain it started on until its answer is back. */
  private chain(middleware: readonly Middleware[]): void {
    this.toUpstream = compose(middleware, (ctx) => this.forward(ctx));
    this.toDownstream = compose([...middleware].reverse(), (ctx) => deliverToSession(this.host, ctx));
  }

  /**
   * Applies a new configuration without dropping a session: new requests take the new chain and
   * upstreams; links to removed or changed upstreams leave the pool at once and close once their
   * requests in flight have finished or met their deadline; every initialized session is told its
   * lists may have changed.
   */
  async reconfigure(next: Reconfiguration): Promise<Reconfigured> {
    const specs = specsByName(next.upstreams);
    const removed = this.names.filter((n) => !specs.has(n));
    const added = [...specs.keys()].filter((n) => !this.names.includes(n));
    const changed = (next.changed ?? []).filter((n) => specs.has(n) && this.names.includes(n));
    const timeouts = resolveTimeouts(next.timeouts);
    const drainMs = this.timeouts.maxMs;
    this.timeouts = timeouts;
    this.names = [...specs.keys()];
    this.specs = specs;
    if (next.middleware !== undefined) this.chain(next.middleware);
    const retired = await this.links.retire(specs, new Set([...removed, ...changed]), this.sessions);
    const told = this.clients();
    // A new chain starts with no state, so one announcement does; a kept chain (an aggregate's
    // kept lists) hears it for each upstream that changed, so it forgets only their parts.
    const about = next.middleware !== undefined ? [this.names[0] ?? removed[0]] : [...added, ...removed, ...changed];
    if (told.length > 0) for (const name of about) if (name !== undefined) await announceListChanges(this.host, name, told, ALL_LISTS);
    return { added, removed, changed, notified: told.length, drained: drainLinks(retired, drainMs, this.log) };
  }

  /**
   * Takes a new downstream connection, starts it and serves it until it closes. A transport that
   * knows the era says so in `options` (a modern HTTP request is a session of its own that closes
   * with its answer); otherwise the first message decides.
   */
  async accept(channel: Channel, id?: string, options?: SessionOptions): Promise<Session> {
    const session = new Session(channel, this.log, id, { ...options, records: this.records });
    if (options?.era !== undefined) session.protocol = serverSide(options.era, session, this.host, this.serverInfo);
    this.sessions.add(session);
    session.peer.onrequest = (request, cancel) => this.inbound.receive(session, request, cancel);
    session.peer.onnotification = (n) => {
      this.inbound.receive(session, n, new Cancellation()).catch((err: unknown) => session.log.warn({ err, method: n.method }, 'notification not passed on'));
    };
    session.peer.onclose = () => void this.endSession(session);
    session.log.debug({}, 'session opened');
    await session.peer.start();
    return session;
  }

  /**
   * Sessions that count against `limits.sessions`: every one but the lone 2026-07-28 requests,
   * which live as long as their answer and are bounded by the connections that carry them.
   */
  heldSessions(): number {
    let held = 0;
    for (const session of this.sessions) if (session.era !== 'modern' && session.id !== PROBE_SESSION_ID) held++;
    return held;
  }

  /** Requests from clients in flight now, over every session (a route being removed waits for 0). */
  requestsInFlight(): number {
    return this.inbound.count(this.sessions);
  }

  /** Closes every session and every link; whatever is in flight is answered with an error. */
  async close(): Promise<void> {
    this.closing = true;
    this.parked.cancelAll('the proxy is shutting down');
    await Promise.allSettled([...this.sessions].map((s) => s.peer.close('the proxy is shutting down')));
    await this.links.closeShared();
  }

  private forward(ctx: Context): Promise<Reply | undefined> {
    const name = ctx.upstream;
    if (name === undefined) {
      const why =
        this.names.length === 0
          ? 'no upstream is configured'
          : `${this.names.length} upstreams are configured and no middleware chose one (put a routing middleware such as mw-aggregate last)`;
      return Promise.resolve(ctx.kind === 'notification' ? undefined : errorReply(ProxyErrorCode.NoRoute, `cannot forward ${ctx.message.method}: ${why}`));
    }
    const params = withHop(ctx.message.params, hopsOf(ctx.message.params), this.id);
    return this.roads.forward(ctx, name, params, ctx.kind === 'request' ? (ctx as Related)[ORIGIN] : undefined);
  }

  /** Tells every client, through the chain, that `upstream`'s lists in `methods` may have changed (news from another replica); how many were told. */
  async announce(upstream: string, methods: readonly string[]): Promise<number> {
    const told = this.clients();
    if (told.length > 0) await announceListChanges(this.host, upstream, told, methods);
    return told.length;
  }

  /** The sessions (initialized) and 2026-07-28 requests (a listen among them) a client holds open now, not the probe's. */
  private clients(): Session[] {
    return [...this.sessions].filter((s) => (s.client !== undefined || s.era === 'modern') && s.peer.open && s.id !== PROBE_SESSION_ID);
  }

  /** What the proxy knows of an upstream's health (state, restarts, last error). */
  health(name: string): UpstreamHealth | undefined {
    return this.links.health(name);
  }

  /** Asks upstream `name` whether it answers, past every middleware (`ping`, or `server/discover` when pinned modern); see probe.ts. */
  async probe(name: string, timeoutMs = 5000): Promise<ProbeResult> {
    const spec = this.specs.get(name);
    if (spec === undefined) throw new ConfigError(`no upstream is named "${name}"`);
    this.probeSession ??= openProbeSession((channel, id) => this.accept(channel, id));
    return probeUpstream(this.links, spec, await this.probeSession, timeoutMs);
  }

  /** The link to `name` that `session` already has, if any; never opens one. */
  linkFor(name: string, session: Session): Promise<Link> | undefined {
    return this.links.linkFor(name, session);
  }

  /** The upstreams `session` has a link of its own to (per-session upstreams it used). */
  ownLinks(session: Session): string[] {
    return this.links.ownLinks(session);
  }

  /** What an upstream sends on a new link is routed to the session it belongs to. */
  private wire(link: Link): void {
    link.peer.onrequest = (request, cancel, extra) => routeFromUpstream(this.host, link, request, cancel.signal, extra);
    link.peer.onnotification = (n, extra) => {
      routeFromUpstream(this.host, link, n, new AbortController().signal, extra).catch((err: unknown) =>
        link.log.warn({ err, method: n.method }, 'notification not passed on'),
      );
    };
  }

  private async endSession(session: Session): Promise<void> {
    // Middleware that asked to hear of it may still reach upstreams through the session's links.
    const hooks = session.takeCloseHooks();
    if (hooks.length > 0) await runCloseHooks(hooks, session.log);
    this.sessions.delete(session);
    session.forget();
    await this.links.release(session);
    session.log.debug({}, 'session closed');
  }
}

/** Builds a proxy; throws a `ConfigError` for options that cannot work. */
export function createProxy(options: ProxyOptions): Proxy {
  return new Proxy(options);
}
