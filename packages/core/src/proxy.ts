import type { Channel } from './channel.js';
import { compose } from './compose.js';
import { randomBytes } from 'node:crypto';
import { ConfigError, ProxyError, ProxyErrorCode } from './errors.js';
import { errorReply, JSONRPCErrorCode, type Notification, type Params, type Reply, type Request, type RequestId } from './jsonrpc.js';
import { hopsOf, withHop } from './hops.js';
import { Link, type LinkMode } from './link.js';
import { silentLogger, type Logger } from './logger.js';
import type { Context, Dispatch, Middleware } from './middleware.js';
import { deliverToSession, routeFromUpstream } from './routing.js';
import { Session } from './session.js';
import { defaultTimeouts, type Timeouts } from './timeouts.js';

/** How to reach one upstream. `connect` opens a new link each time it is called. */
export interface UpstreamSpec {
  name: string;
  /** `shared`: one link for all sessions. `per-session`: one link per downstream session. */
  mode: LinkMode;
  connect(): Promise<Channel>;
}

export interface ProxyOptions {
  upstreams: readonly UpstreamSpec[];
  middleware?: readonly Middleware[];
  timeouts?: Partial<Timeouts>;
  log?: Logger;
  /** This proxy's name in hop lists (default: `mcproxy-` and random hex); unique across a chain. */
  id?: string;
  /** Most proxies a request may have passed through before this one (default 8). */
  maxHops?: number;
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
  readonly timeouts: Timeouts;
  readonly log: Logger;
  /** This proxy's name in the hop list of every request it forwards. */
  readonly id: string;
  readonly maxHops: number;
  /** The downstream request id behind each request context (middleware never sees ids). */
  readonly origins = new WeakMap<Context, RequestId>();
  private readonly upstreams = new Map<string, UpstreamSpec>();
  /** Upstream names in configuration order; every context carries this list. */
  readonly names: readonly string[];
  private readonly shared = new Map<string, Promise<Link>>();
  private closing = false;
  readonly toUpstream: Dispatch;
  readonly toDownstream: Dispatch;

  constructor(options: ProxyOptions) {
    for (const spec of options.upstreams) {
      if (this.upstreams.has(spec.name)) throw new ConfigError(`two upstreams are named "${spec.name}"`);
      this.upstreams.set(spec.name, spec);
    }
    this.names = [...this.upstreams.keys()];
    this.timeouts = { ...defaultTimeouts, ...options.timeouts };
    if (this.timeouts.maxMs < this.timeouts.requestMs) {
      throw new ConfigError(`the maximum request time (${this.timeouts.maxMs} ms) is shorter than the request timeout (${this.timeouts.requestMs} ms)`);
    }
    this.log = options.log ?? silentLogger;
    this.id = options.id ?? `mcproxy-${randomBytes(4).toString('hex')}`;
    this.maxHops = options.maxHops ?? 8;
    if (!Number.isInteger(this.maxHops) || this.maxHops < 1) throw new ConfigError(`maxHops must be a whole number of at least 1, not ${this.maxHops}`);
    const middleware = options.middleware ?? [];
    const onFork = (parent: Context, child: Context): void => {
      const origin = this.origins.get(parent);
      if (origin !== undefined) this.origins.set(child, origin);
    };
    this.toUpstream = compose(middleware, (ctx) => this.forward(ctx), onFork);
    this.toDownstream = compose([...middleware].reverse(), (ctx) => deliverToSession(this, ctx), onFork);
  }

  /** Takes a new downstream connection, starts it and serves it until it closes. */
  async accept(channel: Channel, id?: string): Promise<Session> {
    const session = new Session(channel, this.log, id);
    this.sessions.add(session);
    session.peer.onrequest = (request, signal) => this.fromDownstream(session, request, signal);
    session.peer.onnotification = (n) => {
      this.fromDownstream(session, n, new AbortController().signal).catch((err: unknown) => session.log.warn({ err, method: n.method }, 'notification not passed on'));
    };
    session.peer.onclose = () => void this.endSession(session);
    session.log.debug({}, 'session opened');
    await session.peer.start();
    return session;
  }

  /** Closes every session and every link; whatever is in flight is answered with an error. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.sessions].map((s) => s.peer.close('the proxy is shutting down')));
    const links = await Promise.allSettled([...this.shared.values()]);
    this.shared.clear();
    await Promise.allSettled(links.map((l) => (l.status === 'fulfilled' ? l.value.peer.close() : undefined)));
  }

  private async fromDownstream(session: Session, message: Request | Notification, signal: AbortSignal): Promise<Reply> {
    const request = 'id' in message;
    const refused = this.checkHops(message);
    if (refused !== undefined) {
      session.log.warn({ method: message.method, hops: hopsOf(message.params) }, refused.error?.message);
      return refused;
    }
    if (request && message.method === 'initialize') session.hello(message.params);
    // With one upstream the route is known before any middleware runs.
    const upstream = this.names.length === 1 ? this.names[0] : undefined;
    const base = { direction: 'upstream', session, upstream, upstreams: this.names, signal, log: session.log } as const;
    const ctx: Context = request ? { ...base, kind: 'request', message: strip(message) } : { ...base, kind: 'notification', message };
    if (request) this.origins.set(ctx, message.id);
    const reply = await this.toUpstream(ctx);
    return reply ?? { result: {} };
  }

  /** A request that already passed through this proxy, or through too many, goes no further. */
  private checkHops(message: Request | Notification): Reply | undefined {
    const hops = hopsOf(message.params);
    if (hops.length === 0) return undefined;
    if (hops.includes(this.id)) {
      const path = [...hops.slice(hops.indexOf(this.id)), this.id].join(' → ');
      return errorReply(ProxyErrorCode.LoopDetected, `loop detected: ${message.method} came back to the proxy it passed through (${path}); check the upstreams of the proxies in this chain`, { hops });
    }
    if (hops.length >= this.maxHops) {
      return errorReply(ProxyErrorCode.TooManyHops, `${message.method} has passed through ${hops.length} proxies, the most this one accepts (maxHops ${this.maxHops})`, { hops });
    }
    return undefined;
  }

  private async forward(ctx: Context): Promise<Reply | undefined> {
    const session = ctx.session as Session;
    const name = ctx.upstream;
    if (name === undefined) {
      const why = this.upstreams.size === 0 ? 'no upstream is configured' : `${this.upstreams.size} upstreams are configured and no middleware chose one (put a routing middleware such as mw-aggregate last)`;
      if (ctx.kind === 'notification') return undefined;
      return errorReply(ProxyErrorCode.NoRoute, `cannot forward ${ctx.message.method}: ${why}`);
    }
    const link = await this.acquire(name, session);
    // The session may have closed while this waited (in middleware, for the link): joining the
    // link now would keep the session on it for good, since its close has already detached it.
    if (!this.sessions.has(session)) return ctx.kind === 'notification' ? undefined : closedBeforeForwarding(session, ctx.message.method);
    const params = withHop(ctx.message.params, hopsOf(ctx.message.params), this.id);
    if (ctx.kind === 'notification') {
      await link.notify({ ...ctx.message, params });
      return undefined;
    }
    const downstreamId = this.origins.get(ctx);
    const onProgress = downstreamId === undefined ? undefined : (params: Params) => this.progress(session, downstreamId, link.name, params);
    return link.forward(session, ctx.message.method, params, {
      signal: ctx.signal, onProgress, tag: { session, downstreamId }, timeouts: this.timeouts,
    });
  }

  /** Progress from an upstream walks the chain back to the session, and always ahead of the answer. */
  private progress(session: Session, downstreamId: RequestId, upstream: string, params: Params): void {
    if (!session.peer.isPending(downstreamId)) return;
    const ctx: Context = {
      kind: 'notification', direction: 'downstream', session, upstream, upstreams: this.names, signal: new AbortController().signal, log: session.log,
      message: { jsonrpc: '2.0', method: 'notifications/progress', params },
    };
    this.origins.set(ctx, downstreamId);
    session.peer.hold(downstreamId, this.toDownstream(ctx).catch((err: unknown) => session.log.warn({ err }, 'progress lost')));
  }

  /** The link to `name` for `session`: the shared one, or the session's own; opened on first use. */
  async acquire(name: string, session: Session): Promise<Link> {
    const spec = this.upstreams.get(name);
    if (spec === undefined) throw new ProxyError(ProxyErrorCode.NoRoute, `no upstream is named "${name}"`, { upstream: name });
    const pool = spec.mode === 'shared' ? this.shared : session.links;
    const existing = pool.get(name);
    if (existing !== undefined) {
      const link = await existing;
      if (link.peer.open) return link;
    }
    // A session that has closed opens nothing: no one would close the link again.
    if (!this.sessions.has(session)) throw new ProxyError(ProxyErrorCode.SessionClosed, `session ${session.id} has closed`, { session: session.id });
    const opening = this.open(spec);
    pool.set(name, opening);
    opening.catch(() => pool.get(name) === opening && pool.delete(name));
    const link = await opening;
    link.peer.onclose = () => {
      if (pool.get(name) === opening) pool.delete(name);
      const level = this.closing ? 'info' : 'warn';
      link.log[level]({ sessions: link.sessions.size }, `upstream "${name}" closed`);
    };
    return link;
  }

  /** The link to `name` that `session` already has, if any; never opens one. */
  linkFor(name: string, session: Session): Promise<Link> | undefined {
    return this.shared.get(name) ?? session.links.get(name);
  }

  private async open(spec: UpstreamSpec): Promise<Link> {
    const log = this.log.child({ upstream: spec.name });
    let channel: Channel;
    try {
      channel = await spec.connect();
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      log.error({ err }, 'could not connect');
      throw new ProxyError(ProxyErrorCode.UpstreamUnavailable, `upstream "${spec.name}" is unavailable: ${why}`, { upstream: spec.name });
    }
    const link = new Link(spec.name, spec.mode, channel, log);
    link.peer.onrequest = (request, signal, extra) => routeFromUpstream(this, link, request, signal, extra);
    link.peer.onnotification = (n, extra) => {
      routeFromUpstream(this, link, n, new AbortController().signal, extra).catch((err: unknown) => log.warn({ err, method: n.method }, 'notification not passed on'));
    };
    try {
      await link.peer.start();
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new ProxyError(ProxyErrorCode.UpstreamUnavailable, `upstream "${spec.name}" failed to start: ${why}`, { upstream: spec.name });
    }
    log.info({ mode: spec.mode }, 'link open');
    return link;
  }

  private async endSession(session: Session): Promise<void> {
    this.sessions.delete(session);
    const own = await Promise.allSettled([...session.links.values()]);
    session.links.clear();
    await Promise.allSettled(own.map((l) => (l.status === 'fulfilled' ? l.value.peer.close() : undefined)));
    for (const opening of this.shared.values()) void opening.then((l) => l.detach(session), () => undefined);
    session.log.debug({}, 'session closed');
  }
}

const strip = ({ id: _id, ...rest }: Request): Omit<Request, 'id'> => rest;

const closedBeforeForwarding = (session: Session, method: string): Reply =>
  errorReply(ProxyErrorCode.SessionClosed, `the client session closed before ${method} was forwarded`, { session: session.id });

/** Builds a proxy; throws a `ConfigError` for options that cannot work. */
export function createProxy(options: ProxyOptions): Proxy {
  return new Proxy(options);
}

export { JSONRPCErrorCode };
