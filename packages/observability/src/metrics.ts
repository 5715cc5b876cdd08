import type { Server } from 'node:http';
import type { LimitReporter } from '@mcproxy/core';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Outcome } from './labels.js';
import type { UpstreamBoard } from './upstreams.js';

/** Seconds: from a fast local tool (1 ms) to the default request deadline (60 s). */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Reasons an authentication failure may be counted under (anything else is `other`), so the label stays bounded. */
export const AUTH_REASONS = ['missing', 'malformed', 'invalid', 'expired', 'audience', 'issuer', 'scope', 'other'] as const;
export type AuthReason = (typeof AUTH_REASONS)[number];

/** The grants a token request toward an upstream's authorization server is counted under (anything else: `other`). */
export const TOKEN_GRANTS = ['client_credentials', 'token_exchange', 'authorization_code', 'refresh_token'] as const;

/** One token request of an upstream's credentials (`auth:`), as @mcproxy/upstream-auth's `onEvent` reports it. */
export interface TokenRequestEvent {
  upstream: string;
  grant: string;
  outcome: string;
}

export interface MetricsOptions {
  limitReporter: LimitReporter;
  upstreams: UpstreamBoard;
  /** A `tool` label on `mcproxy_tool_calls_total` (off by default: tool names are chosen by upstreams). */
  toolLabels: boolean;
}

/**
 * Every metric the proxy exposes, on a registry of its own (never prom-client's
 * global one, so embedding mcproxy in an app with its own metrics is safe).
 * Request counters are updated as requests end; everything the proxy already
 * keeps (sessions, upstream states, restarts, limit hits, bytes) is read when
 * Prometheus scrapes, so it costs nothing between scrapes.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly requests: Counter<'route' | 'method' | 'upstream' | 'outcome'>;
  readonly duration: Histogram<'route' | 'method' | 'upstream'>;
  readonly upstreamCalls: Counter<'route' | 'method' | 'upstream' | 'outcome'>;
  readonly inflight: Gauge<'route'>;
  readonly toolCalls: Counter<'route' | 'tool' | 'upstream' | 'outcome'> | undefined;
  private readonly authFailures: Counter<'reason'>;
  private readonly tokenRequests: Counter<'upstream' | 'grant' | 'outcome'>;
  private readonly faces: Array<{ face: string; server: Server; closedIn: number; closedOut: number; live: Set<import('node:net').Socket> }> = [];

  constructor(options: MetricsOptions) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'mcproxy_requests_total',
      help: 'Requests from clients, by route, method, the upstream that answered (proxy: none did, or the proxy wrote the answer itself, as initialize with several upstreams; several: a list fan-out) and outcome (ok, error, tool_error).',
      labelNames: ['route', 'method', 'upstream', 'outcome'],
      registers,
    });
    this.duration = new Histogram({
      name: 'mcproxy_request_duration_seconds',
      help: 'Time from a client request entering the chain to its answer leaving it.',
      labelNames: ['route', 'method', 'upstream'],
      buckets: BUCKETS,
      registers,
    });
    this.upstreamCalls = new Counter({
      name: 'mcproxy_upstream_requests_total',
      help: 'Requests the proxy sent to each upstream (a list fan-out sends one to each), by outcome.',
      labelNames: ['route', 'method', 'upstream', 'outcome'],
      registers,
    });
    this.inflight = new Gauge({ name: 'mcproxy_inflight_requests', help: 'Client requests in the chain now, by route.', labelNames: ['route'], registers });
    this.toolCalls = options.toolLabels
      ? new Counter({
          name: 'mcproxy_tool_calls_total',
          help: 'tools/call by tool name (bounded), upstream and outcome.',
          labelNames: ['route', 'tool', 'upstream', 'outcome'],
          registers,
        })
      : undefined;
    const { limitReporter, upstreams } = options;
    // Read from the board at each scrape, so a reload's routes and upstreams show at once;
    // a route or upstream that went away loses its series (reset) rather than keep its last value.
    new Gauge({
      name: 'mcproxy_sessions',
      help: 'Client sessions open, by route (2025-era sessions; a 2026-07-28 request is not one).',
      labelNames: ['route'],
      registers,
      collect() {
        this.reset();
        for (const r of upstreams.routes) this.set({ route: r.route }, r.proxy.heldSessions());
      },
    });
    new Gauge({
      name: 'mcproxy_upstream_up',
      help: '1 when the upstream answered its last probe and has a link open, else 0; only upstreams configured now.',
      labelNames: ['route', 'upstream'],
      registers,
      collect() {
        this.reset();
        for (const r of upstreams.routes)
          for (const name of r.proxy.names) this.set({ route: r.route, upstream: name }, upstreams.stateOf(r, name) === 'up' ? 1 : 0);
      },
    });
    new Counter({
      name: 'mcproxy_upstream_restarts_total',
      help: 'Links to the upstream that failed or closed on their own since it was first up.',
      labelNames: ['route', 'upstream'],
      registers,
      collect() {
        this.reset();
        for (const r of upstreams.routes) for (const name of r.proxy.names) this.inc({ route: r.route, upstream: name }, upstreams.restartsOf(r, name));
      },
    });
    new Counter({
      name: 'mcproxy_limit_hits_total',
      help: 'Hits of each limit of the limits: section (each was answered and logged).',
      labelNames: ['limit'],
      registers,
      collect() {
        this.reset();
        for (const [limit, n] of limitReporter.counts) this.inc({ limit }, n);
      },
    });
    this.authFailures = new Counter({
      name: 'mcproxy_auth_failures_total',
      help: 'Requests refused by authentication, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.tokenRequests = new Counter({
      name: 'mcproxy_upstream_token_requests_total',
      help: "Token requests to upstreams' authorization servers (auth:), by upstream, grant (client_credentials, token_exchange, authorization_code, refresh_token) and outcome (ok, error).",
      labelNames: ['upstream', 'grant', 'outcome'],
      registers,
    });
    const faces = this.faces;
    const bytes = (direction: 'in' | 'out') =>
      function collect(this: Counter<'face'>) {
        this.reset();
        for (const f of faces) {
          let n = direction === 'in' ? f.closedIn : f.closedOut;
          for (const s of f.live) n += direction === 'in' ? s.bytesRead : s.bytesWritten;
          this.inc({ face: f.face }, n);
        }
      };
    new Counter({ name: 'mcproxy_received_bytes_total', help: 'Bytes received from clients, by face.', labelNames: ['face'], registers, collect: bytes('in') });
    new Counter({ name: 'mcproxy_sent_bytes_total', help: 'Bytes sent to clients, by face.', labelNames: ['face'], registers, collect: bytes('out') });
  }

  /**
   * Counts one authentication failure. `reason` is one of `AUTH_REASONS`
   * (anything else counts as `other`), so no token or user ever becomes a label.
   */
  authFailure(reason: string): void {
    this.authFailures.inc({ reason: (AUTH_REASONS as readonly string[]).includes(reason) ? reason : 'other' });
  }

  /** Counts one token request toward an upstream's authorization server; labels are the configured name and fixed words, never a token or a user. */
  tokenRequest(e: TokenRequestEvent): void {
    const grant = (TOKEN_GRANTS as readonly string[]).includes(e.grant) ? e.grant : 'other';
    this.tokenRequests.inc({ upstream: e.upstream, grant, outcome: e.outcome === 'ok' ? 'ok' : 'error' });
  }

  /** Counts the bytes of an HTTP face's connections (read from the sockets at scrape time). */
  watchServer(face: string, server: Server): void {
    const entry = { face, server, closedIn: 0, closedOut: 0, live: new Set<import('node:net').Socket>() };
    this.faces.push(entry);
    server.on('connection', (socket) => {
      entry.live.add(socket);
      socket.once('close', () => {
        entry.live.delete(socket);
        entry.closedIn += socket.bytesRead;
        entry.closedOut += socket.bytesWritten;
      });
    });
  }

  /** Records one client request that ended. */
  request(route: string, method: string, upstream: string, outcome: Outcome, seconds: number): void {
    this.requestCounter(route, method, upstream, outcome).inc();
    this.durationOf(route, method, upstream).observe(seconds);
  }

  /** Records one call to an upstream that ended. */
  upstreamCall(route: string, method: string, upstream: string, outcome: Outcome): void {
    const key = `${route}\n${method}\n${upstream}\n${outcome}`;
    let child = this.callChildren.get(key);
    if (child === undefined) this.callChildren.set(key, (child = this.upstreamCalls.labels(route, method, upstream, outcome)));
    child.inc();
  }

  /** The in-flight gauge of one route. */
  inflightOf(route: string): Gauge.Internal<'route'> {
    let child = this.inflightChildren.get(route);
    if (child === undefined) this.inflightChildren.set(route, (child = this.inflight.labels(route)));
    return child;
  }

  // prom-client hashes a label object on every call; the label sets are bounded, so each
  // one's child is looked up once and kept (about 10 times cheaper on the hot path).
  private readonly requestChildren = new Map<string, Counter.Internal>();
  private readonly durationChildren = new Map<string, Histogram.Internal<'route' | 'method' | 'upstream'>>();
  private readonly callChildren = new Map<string, Counter.Internal>();
  private readonly inflightChildren = new Map<string, Gauge.Internal<'route'>>();

  private requestCounter(route: string, method: string, upstream: string, outcome: Outcome): Counter.Internal {
    const key = `${route}\n${method}\n${upstream}\n${outcome}`;
    let child = this.requestChildren.get(key);
    if (child === undefined) this.requestChildren.set(key, (child = this.requests.labels(route, method, upstream, outcome)));
    return child;
  }

  private durationOf(route: string, method: string, upstream: string): Histogram.Internal<'route' | 'method' | 'upstream'> {
    const key = `${route}\n${method}\n${upstream}`;
    let child = this.durationChildren.get(key);
    if (child === undefined) this.durationChildren.set(key, (child = this.duration.labels(route, method, upstream)));
    return child;
  }

  /** The text Prometheus scrapes. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
