import { createProxy, defaultTimeouts, resolveLimits, type Logger, type Middleware, type Proxy, type Reconfigured } from '@mcproxy/core';
import { createStreamableHttpHandler, type HttpServer, type StreamableHttpEndpoint } from '@mcproxy/transport-streamable-http';
import type { Pipeline, Route } from '../config/schema.js';
import { loadMiddleware } from '../pipeline/middleware.js';
import { servedName } from '../pipeline/served-name.js';
import { checkNameCollisions } from './startup-check.js';
import { specs, type Bounds } from './upstream-specs.js';
import type { ListRelay } from './list-relay.js';
import { routeAsksConsent as asksConsent, type CredentialHub } from '../credentials/hub.js';
import { CLI_VERSION } from '../version.js';
import { isAggregate, withRouting } from '../pipeline/with-routing.js';

/** The pipeline one route's proxy is built from: the file's settings with the route's upstreams and middleware. */
const asPipeline = (pipeline: Pipeline, route: Route): Pipeline => ({ ...pipeline, upstreams: route.upstreams, pipeline: route.pipeline });

/** What decides whether a route's chain must be rebuilt: its middleware, whether an aggregate is added for several upstreams, and whether consent rounds lead it. */
const fingerprint = (_pipeline: Pipeline, route: Route): string =>
  JSON.stringify([route.pipeline, Object.keys(route.upstreams).length > 1, asksConsent(route)]);

/**
 * One endpoint's proxy: the top-level one, or a route's. It keeps what it
 * was built from, so a reload can tell what changed and hand core only that.
 */
export class RouteProxy {
  private constructor(
    readonly path: string,
    readonly proxy: Proxy,
    private route: Route,
    private settings: string,
    private readonly log: Logger,
    private readonly name: string | undefined,
    private readonly hub: CredentialHub | undefined,
    readonly relay?: ListRelay,
  ) {}

  /** Its upstreams as configured now (after the last reload that changed them). */
  get upstreams(): Route['upstreams'] {
    return this.route.upstreams;
  }

  /** Builds the proxy for `route` (with a collision check when aggregate never prefixes). */
  static async build(
    path: string,
    route: Route,
    pipeline: Pipeline,
    log: Logger,
    bounds: Bounds,
    name: string | undefined,
    loaded?: Middleware[],
    hub?: CredentialHub,
  ): Promise<RouteProxy> {
    const p = asPipeline(pipeline, route);
    // With a store, list changes heard here are told to the other replicas, and theirs to this one's clients.
    const relay = bounds.relay?.(path);
    const middleware = relayed(relay, led(route, hub, named(name, loaded ?? (await middlewareOf(route, pipeline, log)))));
    const proxy = createProxy({
      upstreams: specs(p, log, bounds, hub),
      middleware,
      timeouts: pipeline.timeouts,
      log,
      id: pipeline.chain.id,
      maxHops: pipeline.chain.maxHops,
      ...bounds,
      supervision: pipeline.supervision,
      serverInfo: { name: name ?? 'mcproxy', version: CLI_VERSION },
    });
    if (route.pipeline.some((m) => isAggregate(m) && m.with.prefix === 'never')) {
      try {
        await checkNameCollisions(proxy, log);
      } catch (err) {
        // Closing the proxy stops the children it started (and only those: a reload may be running beside others).
        await proxy.close();
        throw err;
      }
    }
    relay?.attach(proxy);
    return new RouteProxy(path, proxy, route, fingerprint(pipeline, route), log, name, hub, relay);
  }

  /**
   * Brings the running proxy to `route`: nothing when nothing changed;
   * else upstreams added, removed or changed (by their configuration) and
   * the chain rebuilt, without dropping a session (see `Proxy.reconfigure`).
   */
  async update(route: Route, pipeline: Pipeline, bounds: Bounds, loaded?: Middleware[]): Promise<Reconfigured | undefined> {
    const before = this.route.upstreams;
    const changed = Object.keys(route.upstreams).filter((n) => n in before && JSON.stringify(before[n]) !== JSON.stringify(route.upstreams[n]));
    const same =
      changed.length === 0 &&
      JSON.stringify(Object.keys(before)) === JSON.stringify(Object.keys(route.upstreams)) &&
      this.settings === fingerprint(pipeline, route);
    // Deadlines and the per-session request cap apply to new requests whatever else changed.
    this.proxy.timeouts = { ...defaultTimeouts, ...pipeline.timeouts };
    Object.assign(this.proxy.limits, resolveLimits(pipeline.limits));
    if (same) return undefined;
    const p = asPipeline(pipeline, route);
    // The same middleware keeps its chain, and with it what it knows (an aggregate's lists of the upstreams that stay).
    const rebuild = this.settings !== fingerprint(pipeline, route);
    const middleware = rebuild
      ? relayed(this.relay, led(route, this.hub, named(this.name, loaded ?? (await middlewareOf(route, pipeline, this.log)))))
      : undefined;
    const done = await this.proxy.reconfigure({ upstreams: specs(p, this.log, bounds, this.hub), middleware, changed, timeouts: pipeline.timeouts });
    this.route = route;
    this.settings = fingerprint(pipeline, route);
    return done;
  }
}

/** A chain led by consent rounds when a user of the route may have to authorize an upstream first (before anything keeps a requestState of its own). */
const led = (route: Route, hub: CredentialHub | undefined, middleware: Middleware[]): Middleware[] =>
  hub !== undefined && asksConsent(route) ? [hub.consent, ...middleware] : middleware;

/** The relay of list changes between replicas goes last: nearest the upstreams, where notifications carry their upstream's own name. */
const relayed = (relay: ListRelay | undefined, middleware: Middleware[]): Middleware[] =>
  relay === undefined ? middleware : [...middleware, relay.middleware];

/** A chain that, given `--name`, says that name to clients whatever the upstreams call themselves. */
const named = (name: string | undefined, middleware: Middleware[]): Middleware[] => (name === undefined ? middleware : [servedName(name), ...middleware]);

/** What observability does to a chain (timing, tracing, by middleware name, counted under the route's path); identity when nothing observes. */
export type Wrap = (middleware: Middleware[], names: readonly string[], route: string) => Middleware[];

/** The chain of a route, built (options checked) from its `pipeline:` entries, wrapped for observability. */
export async function middlewareOf(route: Route, pipeline: Pipeline, log: Logger, wrap?: Wrap, path = '/mcp'): Promise<Middleware[]> {
  const entries = withRouting(asPipeline(pipeline, route), log);
  const loaded = await loadMiddleware(entries, pipeline.baseDir, log, path);
  return wrap === undefined
    ? loaded
    : wrap(
        loaded,
        entries.map((e) => e.use),
        path,
      );
}

/** A route served beside the main endpoint on the HTTP port. */
export interface MountedRoute {
  route: RouteProxy;
  endpoint: StreamableHttpEndpoint;
}

/** The streamable HTTP endpoint of a route, with the HTTP face's settings. */
export function endpointOf(route: RouteProxy, pipeline: Pipeline, log: Logger, bounds: Bounds): StreamableHttpEndpoint {
  const http = pipeline.serve.http!;
  return createStreamableHttpHandler(route.proxy, {
    host: http.host,
    path: route.path,
    allowedHosts: http.allowedHosts,
    allowedOrigins: http.allowedOrigins,
    dnsRebindingProtection: http.dnsRebindingProtection,
    log: log.child({ serve: 'http', route: route.path }),
    ...bounds,
  });
}

/**
 * Takes a route off the port: new requests to its path get 404 at once,
 * requests in flight finish (by the deadline at the latest), then its
 * sessions and upstreams close.
 */
export async function retireRoute(mounted: MountedRoute, server: HttpServer, log: Logger): Promise<void> {
  server.unmount(mounted.endpoint);
  const until = Date.now() + mounted.route.proxy.timeouts.maxMs;
  while (mounted.route.proxy.requestsInFlight() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
  await mounted.endpoint.close();
  mounted.route.relay?.close();
  await mounted.route.proxy.close();
  log.info({ route: mounted.route.path }, 'route removed');
}
