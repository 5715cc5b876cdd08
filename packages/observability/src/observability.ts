import type { Server } from 'node:http';
import type { LimitReporter, Logger, Middleware, Proxy } from '@mcproxy/core';
import { serveAdmin, type AdminAuth, type AdminServer } from './admin.js';
import { Feed } from './feed.js';
import { ToolLabels } from './labels.js';
import { ReplicaMetrics } from './replica-metrics.js';
import { Metrics, type TokenRequestEvent } from './metrics.js';
import { observeRequests, observeUpstreamCalls, traced } from './observe.js';
import { payloadShower, type PayloadPolicy } from './payload.js';
import { createTracing, type Tracing, type TracingOptions } from './tracing.js';
import { DEFAULT_ROUTE, UpstreamBoard, type ObservedRoute, type UpstreamConfig } from './upstreams.js';

export interface AdminConfig {
  host: string;
  port: number;
  /** How often each upstream is probed (default 5000 ms). */
  probeIntervalMs?: number | undefined;
  /** Count tools/call by tool name (`mcproxy_tool_calls_total`): at most this many names, the rest as `other`; 0 (default) turns it off. */
  toolLabels?: number | undefined;
}

export interface ObservabilityOptions {
  /** The admin listener; without it, nothing listens and nothing is counted. */
  admin?: AdminConfig | undefined;
  /** Tracing; without it, no span is made and no OpenTelemetry code is loaded. */
  tracing?: TracingOptions | undefined;
  /** Per upstream: `required` (readiness waits for it) and its pinned protocol; used when `start` is given a lone proxy. */
  upstreams: ReadonlyMap<string, UpstreamConfig>;
  /** Payloads in the live tail, when the logging middleware logs them (its redact paths and size). */
  payloads?: PayloadPolicy | undefined;
  log: Logger;
  /** Shown at the top of the dashboard (name, version). */
  about?: Record<string, unknown>;
}

/**
 * Everything that lets an operator see the proxy: the admin listener
 * (health, readiness, upstream health, metrics, dashboard) and tracing.
 * Built before the proxy (its middleware goes into the chain), then bound to
 * it with `start`. When neither admin nor tracing is configured, `enabled`
 * is false and the CLI adds nothing at all to the chain.
 *
 * @example
 * const obs = await createObservability({ admin: { host: '127.0.0.1', port: 9464 }, upstreams, log });
 * const proxy = createProxy({ upstreams, middleware: obs.wrap(middleware), limitReporter, log });
 * await obs.start(proxy, limitReporter); // or every route: [{ route: '/a', proxy, upstreams }, …]
 * // … faces listen …
 * obs.serving();
 */
export class Observability {
  readonly feed: Feed | undefined;
  private metrics: Metrics | undefined;
  private board: UpstreamBoard | undefined;
  private admin: AdminServer | undefined;
  private listening = false;
  private readonly checks: Array<() => string | undefined> = [];
  private readonly tellers: Array<() => Record<string, unknown>> = [];
  private replica: ReplicaMetrics | undefined;
  private readonly tools: ToolLabels | undefined;
  private readonly pending: Array<[string, Server]> = [];
  /** The middleware's view of the metrics: bound by `start`, so requests before it are simply not counted. */
  private readonly observe: { metrics?: Metrics | undefined };

  constructor(
    private readonly options: ObservabilityOptions,
    readonly tracing: Tracing | undefined,
  ) {
    this.feed = options.admin === undefined ? undefined : new Feed();
    this.tools = options.admin?.toolLabels ? new ToolLabels(options.admin.toolLabels) : undefined;
    this.observe = {};
  }

  /** Whether anything observes: when false, `wrap` returns the chain unchanged. */
  get enabled(): boolean {
    return this.options.admin !== undefined || this.tracing !== undefined;
  }

  /** The chain with observation around it: requests measured first, upstream calls last (after routing); counted under `route`. */
  wrap(middleware: readonly Middleware[], names?: readonly string[], route: string = DEFAULT_ROUTE): Middleware[] {
    if (!this.enabled) return [...middleware];
    const observe = this.observe;
    const shared = {
      route,
      get metrics() {
        return observe.metrics;
      },
      tracing: this.tracing,
      feed: this.feed,
      tools: this.tools,
      payload: this.options.payloads === undefined ? undefined : payloadShower(this.options.payloads),
    };
    const inner = this.tracing === undefined ? [...middleware] : middleware.map((m, i) => traced(names?.[i] ?? (m.name || `middleware #${i + 1}`), m));
    return [observeRequests(shared), ...inner, observeUpstreamCalls(shared)];
  }

  /**
   * Binds to the proxy, or to every route's proxy: metrics, upstream probes,
   * and the admin listener (when configured). Returns its URL. A lone proxy
   * is the route `/mcp` with the options' upstreams. With `auth`, the
   * admin listener asks for credentials (all but its probes).
   */
  async start(proxy: Proxy | readonly ObservedRoute[], limitReporter: LimitReporter, auth?: AdminAuth): Promise<string | undefined> {
    const admin = this.options.admin;
    if (admin === undefined) return undefined;
    const log = this.options.log.child({ admin: true });
    const routes = Array.isArray(proxy) ? proxy : [{ route: DEFAULT_ROUTE, proxy: proxy as Proxy, upstreams: this.options.upstreams }];
    this.board = new UpstreamBoard(routes, admin.probeIntervalMs ?? 5000, log);
    this.metrics = new Metrics({ limitReporter, upstreams: this.board, toolLabels: this.tools !== undefined });
    this.replica = new ReplicaMetrics(this.metrics.registry);
    for (const [face, server] of this.pending.splice(0)) this.metrics.watchServer(face, server);
    this.observe.metrics = this.metrics;
    this.admin = await serveAdmin({
      host: admin.host,
      port: admin.port,
      auth,
      metrics: this.metrics,
      board: this.board,
      feed: this.feed!,
      serving: () => (this.listening ? this.checks.map((check) => check()).find((why) => why !== undefined) : 'the proxy is not listening yet'),
      told: () => Object.assign({}, ...this.tellers.map((tell) => tell())) as Record<string, unknown>,
      about: this.options.about ?? {},
      log,
    });
    this.board.start();
    log.info({ url: this.admin.url }, 'admin listener ready (/healthz, /readyz, /health/servers, /metrics, dashboard at /)');
    return this.admin.url;
  }

  /**
   * After a reload: health, readiness, the dashboard and the upstream
   * gauges follow these routes from now on (routes and upstreams that went
   * away disappear; request counters already counted stay).
   */
  setRoutes(routes: readonly ObservedRoute[]): void {
    this.board?.setRoutes(routes);
  }

  /** Counts the bytes of an HTTP face's connections. */
  watchServer(face: string, server: Server): void {
    if (this.metrics !== undefined) this.metrics.watchServer(face, server);
    else if (this.options.admin !== undefined) this.pending.push([face, server]);
  }

  /** Readiness also waits on `check` (the shared store, a drain): it gives a reason while not ready. */
  notReadyWhen(check: () => string | undefined): void {
    this.checks.push(check);
  }

  /** /readyz also tells what `tell` gives (the shared store's state), without it deciding readiness. */
  tellOnReadiness(tell: () => Record<string, unknown>): void {
    this.tellers.push(tell);
  }

  /** Counts one operation on the shared store. */
  storeOperation(op: string, outcome: 'ok' | 'error'): void {
    this.replica?.storeOperation(op, outcome);
  }

  /** Counts one request forwarded to another replica, and how long its answer took to begin. */
  forward(outcome: string, seconds: number): void {
    this.replica?.forward(outcome, seconds);
  }

  /** Counts one session taken over from another replica. */
  takeover(reason: string): void {
    this.replica?.takeover(reason);
  }

  /** Every face listens: readiness now depends on required upstreams only. */
  serving(): void {
    this.listening = true;
  }

  /** Counts one authentication failure (`missing`, `malformed`, `invalid`, `expired`, `audience`, `issuer`, `scope`, else `other`). */
  authFailure(reason: string): void {
    this.metrics?.authFailure(reason);
  }

  /** Counts one token request of an upstream's credentials: give it as upstream-auth's `onEvent`. */
  tokenRequest(e: TokenRequestEvent): void {
    this.metrics?.tokenRequest(e);
  }

  /** The admin listener's URL, once started. */
  get url(): string | undefined {
    return this.admin?.url;
  }

  /** Stops probing, closes the admin listener and sends the spans still batched. */
  async close(): Promise<void> {
    this.board?.stop();
    await this.admin?.close();
    await this.tracing?.shutdown().catch((err: unknown) => this.options.log.warn({ err }, 'spans could not be sent at shutdown'));
  }
}

/** Builds the observability a configuration asks for (tracing's SDK is loaded only when tracing is on). */
export async function createObservability(options: ObservabilityOptions): Promise<Observability> {
  const tracing = options.tracing === undefined ? undefined : await createTracing(options.tracing);
  return new Observability(options, tracing);
}
