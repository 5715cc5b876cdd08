import type { Channel } from '../wire/channel.js';
import { compose } from '../chain/compose.js';
import { randomBytes } from 'node:crypto';
import { ConfigError, ProxyErrorCode } from '../wire/errors.js';
import { errorReply, JSONRPCErrorCode, type Notification, type Params, type Reply, type Request, type RequestId } from '../wire/jsonrpc.js';
import { cut, hopRefusal, hopsOf, logHops, withHop } from '../wire/hops.js';
import type { Link } from './link.js';
import { LinkPool, specsByName, type UpstreamSpec } from './link-pool.js';
import { LimitReporter, limitReply, resolveLimits, type Limits } from '../wire/limits.js';
import { resolveSupervision, type Supervision, type UpstreamHealth } from './supervisor.js';
import { logId, silentLogger, type Logger } from '../wire/logger.js';
import type { Context, Dispatch, Middleware } from '../chain/middleware.js';
import { announceListChanges, deliverToSession, routeFromUpstream } from './routing.js';
import { clientOf, Session, type SessionOptions } from './session.js';
import type { ClientContext } from '../chain/client-context.js';
import { eraOfFirst, serveModern } from '../eras/modern/modern-serve.js';
import { runCloseHooks } from '../chain/session-close.js';
import { acknowledgeListen, LISTEN_ACK, type ListenAck } from '../eras/modern/listen-ack.js';
import { ParkedCalls } from '../eras/bridge/bridge-parked.js';
import { pushToClient, refusesLegacy } from '../eras/bridge/bridge-proxy.js';
import { defaultTimeouts, type Timeouts } from '../wire/timeouts.js';
import { openProbeSession, PROBE_SESSION_ID, probeUpstream, type ProbeResult } from './probe.js';
import { ALL_LISTS, drainLinks, type Reconfiguration, type Reconfigured } from './reconfigure.js';

export type { UpstreamSpec } from './link-pool.js';

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
  /** The downstream request id behind each request context (middleware never sees ids). */
  readonly origins = new WeakMap<Context, RequestId>();
  /** Upstream names in configuration order; every context carries this list. */
  names: readonly string[];
  private readonly links: LinkPool;
  private specs: ReadonlyMap<string, UpstreamSpec>;
  private probeSession: Promise<Session> | undefined;
  /** Requests each session has in flight, for `limits.requestsPerSession`. */
  private readonly inFlight = new WeakMap<Session, number>();
  readonly limits: Limits;
  readonly limitReporter: LimitReporter;
  private closing = false;
  toUpstream!: Dispatch;
  toDownstream!: Dispatch;
  readonly serverInfo: Params;
  /** Calls of 2025-era upstreams waiting for their 2026-07-28 clients to answer an input_required round. */
  readonly parked: ParkedCalls;

  constructor(options: ProxyOptions) {
    const specs = specsByName(options.upstreams);
    this.names = [...specs.keys()];
    this.specs = specs;
    this.timeouts = { ...defaultTimeouts, ...options.timeouts };
    if (this.timeouts.maxMs < this.timeouts.requestMs) {
      throw new ConfigError(`the maximum request time (${this.timeouts.maxMs} ms) is shorter than the request timeout (${this.timeouts.requestMs} ms)`);
    }
    this.log = options.log ?? silentLogger;
    this.limits = resolveLimits(options.limits);
    this.limitReporter = options.limitReporter ?? new LimitReporter(this.log);
    this.parked = new ParkedCalls(this.limits.parkedCalls, this.limits.parkedCallMs, this.limitReporter, this.limits.parkedCallsPerPrincipal);
    this.links = new LinkPool(specs, resolveSupervision(options.supervision), {
      log: this.log,
      limitReporter: this.limitReporter,
      live: (session) => this.sessions.has(session),
      closing: () => this.closing,
      wire: (link) => this.wire(link),
      announce: (upstream, sessions, methods) => void announceListChanges(this, upstream, sessions, methods),
      clientInfo: () => ({ name: this.serverInfo.name, version: this.serverInfo.version }),
      parked: this.parked,
      limits: this.limits,
    });
    this.id = options.id ?? `mcproxy-${randomBytes(4).toString('hex')}`;
    this.maxHops = options.maxHops ?? 8;
    this.serverInfo = { ...(options.serverInfo ?? { name: 'mcproxy', version: '0.0.0' }) };
    if (!Number.isInteger(this.maxHops) || this.maxHops < 1) throw new ConfigError(`maxHops must be a whole number of at least 1, not ${this.maxHops}`);
    this.chain(options.middleware ?? []);
  }

  /** Builds the chain both ways; a request keeps the chain it started on until its answer is back. */
  private chain(middleware: readonly Middleware[]): void {
    const onFork = (parent: Context, child: Context): void => {
      const origin = this.origins.get(parent);
      if (origin !== undefined) this.origins.set(child, origin);
    };
    this.toUpstream = compose(middleware, (ctx) => this.forward(ctx), onFork);
    this.toDownstream = compose([...middleware].reverse(), (ctx) => deliverToSession(this, ctx), onFork);
  }

  /**
   * Applies a new configuration without dropping a session: new requests
   * take the new chain and upstreams; links to removed or changed upstreams
   * leave the pool at once and close once their requests in flight have
   * finished or met their deadline; every initialized session is told its
   * lists may have changed.
   */
  async reconfigure(next: Reconfiguration): Promise<Reconfigured> {
    const specs = specsByName(next.upstreams);
    const removed = this.names.filter((n) => !specs.has(n));
    const added = [...specs.keys()].filter((n) => !this.names.includes(n));
    const changed = (next.changed ?? []).filter((n) => specs.has(n) && this.names.includes(n));
    const timeouts = { ...defaultTimeouts, ...next.timeouts };
    if (timeouts.maxMs < timeouts.requestMs)
      throw new ConfigError(`the maximum request time (${timeouts.maxMs} ms) is shorter than the request timeout (${timeouts.requestMs} ms)`);
    const drainMs = this.timeouts.maxMs;
    this.timeouts = timeouts;
    this.names = [...specs.keys()];
    this.specs = specs;
    if (next.middleware !== undefined) this.chain(next.middleware);
    const retired = await this.links.retire(specs, new Set([...removed, ...changed]), this.sessions);
    const told = [...this.sessions].filter((s) => s.client !== undefined && s.peer.open && s.id !== PROBE_SESSION_ID);
    // A new chain starts with no state, so one announcement does; a kept chain (an aggregate's
    // kept lists) hears it for each upstream that changed, so it forgets only their parts.
    const about = next.middleware !== undefined ? [this.names[0] ?? removed[0]] : [...added, ...removed, ...changed];
    if (told.length > 0) for (const name of about) if (name !== undefined) await announceListChanges(this, name, told, ALL_LISTS);
    return { added, removed, changed, notified: told.length, drained: drainLinks(retired, drainMs, this.log) };
  }

  /**
   * Takes a new downstream connection, starts it and serves it until it
   * closes. A transport that knows the era says so in `options` (a modern
   * HTTP request is a session of its own that closes with its answer);
   * otherwise the first message decides.
   */
  async accept(channel: Channel, id?: string, options?: SessionOptions): Promise<Session> {
    const session = new Session(channel, this.log, id, options);
    this.sessions.add(session);
    session.peer.onrequest = (request, signal) => this.fromDownstream(session, request, signal);
    session.peer.onnotification = (n) => {
      this.fromDownstream(session, n, new AbortController().signal).catch((err: unknown) =>
        session.log.warn({ err, method: n.method }, 'notification not passed on'),
      );
    };
    session.peer.onclose = () => void this.endSession(session);
    session.log.debug({}, 'session opened');
    await session.peer.start();
    return session;
  }

  /**
   * Sessions that count against `limits.sessions`: every one but the lone
   * 2026-07-28 requests, which live as long as their answer and are bounded
   * by the connections that carry them.
   */
  heldSessions(): number {
    let held = 0;
    for (const session of this.sessions) if (session.era !== 'modern' && session.id !== PROBE_SESSION_ID) held++;
    return held;
  }

  /** Requests from clients in flight now, over every session (a route being removed waits for 0). */
  requestsInFlight(): number {
    let n = 0;
    for (const session of this.sessions) n += this.inFlight.get(session) ?? 0;
    return n;
  }

  /** Closes every session and every link; whatever is in flight is answered with an error. */
  async close(): Promise<void> {
    this.closing = true;
    this.parked.cancelAll('the proxy is shutting down');
    await Promise.allSettled([...this.sessions].map((s) => s.peer.close('the proxy is shutting down')));
    await this.links.closeShared();
  }

  private async fromDownstream(session: Session, message: Request | Notification, signal: AbortSignal): Promise<Reply> {
    const request = 'id' in message;
    const refused = hopRefusal(message, this.id, this.maxHops);
    if (refused !== undefined) {
      session.log.warn({ method: message.method, hops: logHops(hopsOf(message.params)) }, cut(refused.error?.message ?? '', 300));
      return refused;
    }
    if (!request) return this.dispatch(session, message, signal);
    const count = this.inFlight.get(session) ?? 0;
    const max = this.limits.requestsPerSession;
    if (count >= max) {
      this.limitReporter.hit('requestsPerSession', max, { session: logId(session.id), method: message.method });
      return limitReply('requestsPerSession', max, `${message.method} refused: this session already has ${count} requests in flight`);
    }
    this.inFlight.set(session, count + 1);
    try {
      return await this.dispatch(session, message, signal);
    } finally {
      this.inFlight.set(session, (this.inFlight.get(session) ?? 1) - 1);
    }
  }

  private async dispatch(session: Session, message: Request | Notification, signal: AbortSignal): Promise<Reply> {
    const request = 'id' in message;
    if (session.era === undefined && request) session.era = eraOfFirst(message);
    if (request && session.era === 'modern')
      return serveModern(session, message, this.serverInfo, (client, stripped, ack) => this.run(session, client, stripped, signal, ack));
    if (request && message.method === 'initialize') session.hello(message.params);
    return this.run(session, session.client, message, signal);
  }

  /** Runs one message from a client through the chain, with who is asking. */
  private async run(
    session: Session,
    client: ClientContext | undefined,
    message: Request | Notification,
    signal: AbortSignal,
    ack?: ListenAck,
  ): Promise<Reply> {
    const request = 'id' in message;
    // With one upstream the route is known before any middleware runs.
    const upstream = this.names.length === 1 ? this.names[0] : undefined;
    const base = { direction: 'upstream', session, client, upstream, upstreams: this.names, signal, log: session.log } as const;
    const ctx: Context = request ? { ...base, kind: 'request', message: strip(message) } : { ...base, kind: 'notification', message };
    if (request) this.origins.set(ctx, message.id);
    if (ack !== undefined) Object.assign(ctx, { [LISTEN_ACK]: ack });
    const reply = await this.toUpstream(ctx);
    return reply ?? { result: {} };
  }

  private async forward(ctx: Context): Promise<Reply | undefined> {
    const session = ctx.session as Session;
    const name = ctx.upstream;
    if (name === undefined) {
      const why =
        this.names.length === 0
          ? 'no upstream is configured'
          : `${this.names.length} upstreams are configured and no middleware chose one (put a routing middleware such as mw-aggregate last)`;
      if (ctx.kind === 'notification') return undefined;
      return errorReply(ProxyErrorCode.NoRoute, `cannot forward ${ctx.message.method}: ${why}`);
    }
    const params = withHop(ctx.message.params, hopsOf(ctx.message.params), this.id);
    const downstreamId = ctx.kind === 'request' ? this.origins.get(ctx) : undefined;
    // A request that surely never reached the upstream (a stale HTTP session, a connection
    // refused while it restarted) is sent once more, on a fresh link if the old one closed.
    const modern = ctx.client?.era === 'modern';
    // A 2025-era client on an upstream that speaks only 2026-07-28: the proxy holds the session.
    if (!modern && this.links.modernOnly(name)) return this.bridgeLegacy(ctx, name, params, downstreamId);
    // No middleware acknowledged the listen with what it honours: it is acknowledged as asked before it leaves.
    if (ctx.kind === 'request' && ctx.message.method === 'subscriptions/listen') await acknowledgeListen(ctx);
    for (let attempt = 1; ; attempt += 1) {
      const link = modern ? await this.links.acquireModern(name, session) : await this.acquire(name, session);
      // The session may have closed while this waited (in middleware, for the link): joining the
      // link now would keep the session on it for good, since its close has already detached it.
      if (!this.sessions.has(session)) return ctx.kind === 'notification' ? undefined : closedBeforeForwarding(session, ctx.message.method);
      if (ctx.kind === 'notification') {
        await link.notify({ ...ctx.message, params });
        return undefined;
      }
      const onProgress = downstreamId === undefined ? undefined : (p: Params) => this.progress(session, downstreamId, link.name, p);
      const reply = await link.forward(
        session,
        ctx.message.method,
        params,
        {
          signal: ctx.signal,
          onProgress,
          tag: { session, downstreamId },
          timeouts: modern && ctx.message.method === 'subscriptions/listen' ? UNTIL_CANCELLED : this.timeouts,
        },
        ctx.client,
      );
      if (!modern && ctx.message.method === 'initialize' && refusesLegacy(reply) && (await this.links.probeModernOnly(name, session, link))) {
        return this.bridgeLegacy(ctx, name, params, downstreamId);
      }
      if (attempt > 1 || !undelivered(reply) || ctx.signal.aborted) return reply;
      link.log.info({ method: ctx.message.method }, 'request not delivered; sending it once more');
    }
  }

  /** Serves a legacy session's message on a modern-only upstream (`ModernUpstreamBridge`); what the upstream asks for is pushed to the client through the chain. */
  private async bridgeLegacy(ctx: Context, name: string, params: Params | undefined, downstreamId: RequestId | undefined): Promise<Reply | undefined> {
    const session = ctx.session as Session;
    // Cancellations are the peer's; initialized and roots/list_changed mean nothing to a 2026-07-28 server.
    if (ctx.kind === 'notification') return undefined;
    const link = await this.links.acquireModern(name, session);
    if (!this.sessions.has(session)) return closedBeforeForwarding(session, ctx.message.method);
    link.sessions.add(session);
    const onProgress = downstreamId === undefined ? undefined : (p: Params) => this.progress(session, downstreamId, link.name, p);
    const push = (method: string, pushed: Params | undefined): Promise<Reply> =>
      pushToClient(this, { session, downstreamId, upstream: name, signal: ctx.signal }, method, pushed);
    const options = { signal: ctx.signal, onProgress, tag: { session, downstreamId }, timeouts: this.timeouts };
    return link.legacyClients().forward(session, ctx.message.method, params, options, push);
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

  /** Progress from an upstream walks the chain back to the session, and always ahead of the answer. */
  private progress(session: Session, downstreamId: RequestId, upstream: string, params: Params): void {
    if (!session.peer.isPending(downstreamId)) return;
    const ctx: Context = {
      kind: 'notification',
      direction: 'downstream',
      session,
      client: clientOf(session, downstreamId),
      upstream,
      upstreams: this.names,
      signal: new AbortController().signal,
      log: session.log,
      message: { jsonrpc: '2.0', method: 'notifications/progress', params },
    };
    this.origins.set(ctx, downstreamId);
    session.peer.hold(
      downstreamId,
      this.toDownstream(ctx).catch((err: unknown) => session.log.warn({ err }, 'progress lost')),
    );
  }

  /** The link to `name` for `session`: the shared one, or the session's own; opened on first use. */
  acquire(name: string, session: Session): Promise<Link> {
    return this.links.acquire(name, session);
  }

  /** The link to `name` that `session` already has, if any; never opens one. */
  linkFor(name: string, session: Session): Promise<Link> | undefined {
    return this.links.linkFor(name, session);
  }

  /** What an upstream sends on a new link is routed to the session it belongs to. */
  private wire(link: Link): void {
    link.peer.onrequest = (request, signal, extra) => routeFromUpstream(this, link, request, signal, extra);
    link.peer.onnotification = (n, extra) => {
      routeFromUpstream(this, link, n, new AbortController().signal, extra).catch((err: unknown) =>
        link.log.warn({ err, method: n.method }, 'notification not passed on'),
      );
    };
  }

  private async endSession(session: Session): Promise<void> {
    // Middleware that asked to hear of it may still reach upstreams through the session's links.
    const hooks = session.takeCloseHooks();
    if (hooks.length > 0) await runCloseHooks(hooks, session.log);
    this.sessions.delete(session);
    await this.links.release(session);
    session.log.debug({}, 'session closed');
  }
}

/** A reply core made for a request that surely never reached the upstream. */
const undelivered = (reply: Reply): boolean =>
  reply.error?.code === ProxyErrorCode.UpstreamUnavailable && (reply.error.data as { delivered?: unknown } | undefined)?.delivered === false;

/** The deadline of a `subscriptions/listen`: none; it lasts until the client cancels it or the upstream ends it. */
const UNTIL_CANCELLED: Timeouts = { requestMs: Infinity, maxMs: Infinity, resetOnProgress: false };

const strip = ({ id: _id, ...rest }: Request): Omit<Request, 'id'> => rest;

const closedBeforeForwarding = (session: Session, method: string): Reply =>
  errorReply(ProxyErrorCode.SessionClosed, `the client session closed before ${method} was forwarded`, { session: session.id });

/** Builds a proxy; throws a `ConfigError` for options that cannot work. */
export function createProxy(options: ProxyOptions): Proxy {
  return new Proxy(options);
}

export { JSONRPCErrorCode };
