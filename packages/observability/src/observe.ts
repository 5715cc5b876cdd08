import type { Context, Middleware, Params, Reply } from '@mcproxy/core';
import type { Span } from '@opentelemetry/api';
import type { Feed } from './feed.js';
import { methodLabel, outcomeOf, targetOf, type ToolLabels } from './labels.js';
import type { Metrics } from './metrics.js';
import type { Tracing } from './tracing.js';
import { DEFAULT_ROUTE } from './upstreams.js';

/** What the outer middleware keeps about one client request; forks carry it to the inner one. */
interface Watched {
  span: Span | undefined;
  /** The upstream the request reached, `several` after a second one, undefined while none. */
  upstream: string | undefined;
}

/**
 * Kept on the request's context under a symbol. A fork copies the context
 * (`{ ...ctx, ...fork }`, which copies symbol keys), so every branch a
 * routing middleware makes still points at the request it belongs to.
 */
const WATCHED = Symbol('mcproxy.observed');
const watchedOf = (ctx: Context): Watched | undefined => (ctx as unknown as Record<symbol, Watched | undefined>)[WATCHED];

export interface ObserveOptions {
  /** The route whose chain this is (the `route` label; `/mcp` when not said). */
  route?: string | undefined;
  metrics?: Metrics | undefined;
  tracing?: Tracing | undefined;
  feed?: Feed | undefined;
  /** Tool names as labels, when configured. */
  tools?: ToolLabels | undefined;
  /** Params and result for the live tail, when payloads may be shown (already redacted and cut); undefined otherwise. */
  payload?: ((params: unknown, reply: Reply | undefined) => unknown) | undefined;
}

/** Methods whose answer, with several upstreams behind it, the proxy writes itself. */
const OWN_ANSWERS = new Set(['initialize', 'server/discover']);

const spanName = (method: string, target: string | undefined): string => (target === undefined ? method : `${method} ${target}`);

/** The MCP attributes of a request, as OpenTelemetry's conventions for MCP name them. */
function attributesOf(method: string, target: string | undefined, ctx: Context): Record<string, string> {
  const a: Record<string, string> = { 'mcp.method.name': method };
  if (ctx.client?.protocolVersion) a['mcp.protocol.version'] = ctx.client.protocolVersion;
  if (target !== undefined) {
    if (method === 'tools/call') a['gen_ai.tool.name'] = target;
    else if (method === 'prompts/get') a['gen_ai.prompt.name'] = target;
    else if (method.startsWith('resources/')) a['mcp.resource.uri'] = target;
  }
  return a;
}

/**
 * The middleware nearest the client: for each client request, the server
 * span, the request counters and histogram, the in-flight gauge, the chart's
 * counts and the live tail's event (the last 100 are kept for a page that
 * opens later). Everything else
 * passes through untouched. Placed first by the CLI only when something
 * observes (an admin listener or tracing), so it costs nothing otherwise.
 */
export function observeRequests(options: ObserveOptions): Middleware {
  const { tracing, feed, tools, payload } = options;
  const route = options.route ?? DEFAULT_ROUTE;
  return async function observeRequests(ctx, next) {
    if (ctx.kind !== 'request' || ctx.direction !== 'upstream') return next();
    // Read per request: the metrics are bound when the proxy starts, after the chain is built.
    const metrics = options.metrics;
    const method = ctx.message.method;
    const params = ctx.message.params as Params | undefined;
    const target = targetOf(method, params);
    const watched: Watched = { span: undefined, upstream: undefined };
    if (tracing !== undefined) watched.span = tracing.server(spanName(method, target), params?._meta as Params | undefined, attributesOf(method, target, ctx));
    (ctx as unknown as Record<symbol, Watched>)[WATCHED] = watched;
    const started = performance.now();
    metrics?.inflightOf(route).inc();
    let reply: Reply | undefined;
    try {
      reply = await next();
      return reply;
    } finally {
      const ms = performance.now() - started;
      const outcome = outcomeOf(reply);
      // The handshake's answer is the proxy's own (its serverInfo, the union of capabilities) once
      // more than one upstream went into it; `several` is for lists, merged from theirs.
      const upstream = watched.upstream === undefined || (watched.upstream === 'several' && OWN_ANSWERS.has(method)) ? 'proxy' : watched.upstream;
      const label = methodLabel(method);
      if (metrics !== undefined) {
        metrics.inflightOf(route).dec();
        metrics.request(route, label, upstream, outcome, ms / 1000);
        if (metrics.toolCalls !== undefined && method === 'tools/call') metrics.toolCalls.inc({ route, tool: tools?.of(target) ?? 'other', upstream, outcome });
      }
      if (watched.span !== undefined) {
        watched.span.setAttribute('mcproxy.upstream', upstream);
        tracing!.end(watched.span, outcome, reply?.error);
      }
      if (feed !== undefined) {
        const now = Date.now();
        feed.count(now, ms, outcome !== 'ok');
        // Kept even while no dashboard watches: a page that opens later starts with the last ones.
        feed.publish({
          t: now,
          route,
          method: label,
          ...(target === undefined ? {} : { name: target }),
          upstream,
          outcome,
          ms: Math.round(ms * 10) / 10,
          ...(reply?.error === undefined ? {} : { error: reply.error.message.slice(0, 300) }),
          ...(payload === undefined ? {} : { payload: payload(params, reply) }),
        });
      }
    }
  };
}

/**
 * The middleware nearest the upstreams (after routing, so it sees each
 * branch with its upstream): one client span per upstream call, its trace
 * context written into the request's `_meta` for the upstream (and, over
 * HTTP, mirrored into the `traceparent` header by the transport), and the
 * per-upstream call counter.
 */
export function observeUpstreamCalls(options: ObserveOptions): Middleware {
  const { tracing } = options;
  const route = options.route ?? DEFAULT_ROUTE;
  return async function observeUpstreamCalls(ctx, next) {
    if (ctx.kind !== 'request' || ctx.direction !== 'upstream' || ctx.upstream === undefined) return next();
    const metrics = options.metrics;
    const upstream = ctx.upstream;
    const watched = watchedOf(ctx);
    if (watched !== undefined) watched.upstream = watched.upstream === undefined || watched.upstream === upstream ? upstream : 'several';
    const method = ctx.message.method;
    let span: Span | undefined;
    let reply: Reply | undefined;
    try {
      if (tracing === undefined) reply = await next();
      else {
        const params = ctx.message.params as Params | undefined;
        const target = targetOf(method, params);
        span = tracing.client(spanName(method, target), watched?.span, { ...attributesOf(method, target, ctx), 'mcproxy.upstream': upstream });
        const meta = tracing.inject(span, params?._meta as Params | undefined);
        reply = await next({ message: { ...ctx.message, params: { ...params, _meta: meta } } });
      }
      return reply;
    } finally {
      const outcome = outcomeOf(reply);
      metrics?.upstreamCall(route, methodLabel(method), upstream, outcome);
      if (span !== undefined) tracing!.end(span, outcome, reply?.error);
    }
  };
}

/** Wraps a middleware so a request's server span records an event as the request enters it (tracing only). */
export function traced(name: string, middleware: Middleware): Middleware {
  const wrapped: Middleware = (ctx, next) => {
    watchedOf(ctx)?.span?.addEvent('middleware', { 'mcproxy.middleware': name });
    return middleware(ctx, next);
  };
  // Stack traces keep naming the middleware itself.
  Object.defineProperty(wrapped, 'name', { value: middleware.name || name });
  return wrapped;
}
