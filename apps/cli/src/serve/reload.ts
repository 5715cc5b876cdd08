import { reapChildren } from '@mcproxy/transport-stdio';
import type { HttpAuthenticator, HttpServer } from '@mcproxy/transport-streamable-http';
import { ConfigError, defaultTimeouts, type ConfigVersions, type Logger, type Middleware, type Reconfigured } from '@mcproxy/core';
import type { Pipeline } from '../config/schema.js';
import type { AuthSwitch } from '../security/security.js';
import { authFingerprint } from '../security/route-auth.js';
import { closeRevoked, revokedBy, sectionAt } from '../security/revoke.js';
import { endpointOf, middlewareOf, RouteProxy, retireRoute, type MountedRoute, type Wrap } from './routes.js';
import type { Bounds } from './upstream-specs.js';
import { asksConsent, type CredentialHub } from '../credentials/hub.js';

/** What a running pipeline keeps so that a reload can change it in place. */
export interface ServedState {
  /** The pipeline applied now: the one started with, then each reload's (less what waits for a restart). */
  applied: ConfigVersions<Pipeline>;
  /** The proxy the HTTP server (and stdio, sse) was built around: the top-level one, else the first route. */
  main: RouteProxy;
  top: RouteProxy | undefined;
  /** Routes served beside `main` on the HTTP port, by path. */
  mounted: Map<string, MountedRoute>;
  server: HttpServer | undefined;
  bounds: Bounds;
  log: Logger;
  name: string | undefined;
  /** Observability's wrapping of every chain built, at startup and by reloads. */
  wrap?: Wrap | undefined;
  /** The process's credentials toward upstreams (flows, token store, subject tokens). */
  hub?: CredentialHub | undefined;
  /** The faces' authenticator and how to make one from a pipeline, when the process started with `auth:`. */
  auth?: { current: AuthSwitch; make: (next: Pipeline) => HttpAuthenticator | undefined } | undefined;
}

/** What a reload did, per endpoint, and what it could not do without a restart. */
export interface ReloadReport {
  /** Endpoints whose upstreams or chain changed, by path, with what core did. */
  changed: Record<string, Omit<Reconfigured, 'drained'>>;
  routesAdded: string[];
  routesRemoved: string[];
  /** Settings that changed in the file and take effect only at the next start. */
  needRestart: string[];
  /** Resolves once retired links and routes have drained and closed. */
  drained: Promise<void>;
}

/** The top-level endpoint (when it has upstreams, or nothing else is served) and the routes, each a proxy of its own. */
export async function buildRoutes(
  pipeline: Pipeline,
  log: Logger,
  bounds: Bounds,
  name: string | undefined,
  wrap?: Wrap,
  hub?: CredentialHub,
): Promise<{ top: RouteProxy | undefined; mounted: MountedRoute[] }> {
  const paths = Object.keys(pipeline.routes);
  const built: RouteProxy[] = [];
  try {
    const topRoute = { upstreams: pipeline.upstreams, pipeline: pipeline.pipeline };
    const topPath = pipeline.serve.http?.path ?? '/mcp';
    const top =
      Object.keys(pipeline.upstreams).length > 0 || paths.length === 0
        ? await RouteProxy.build(topPath, topRoute, pipeline, log, bounds, name, await middlewareOf(topRoute, pipeline, log, wrap, topPath), hub)
        : undefined;
    if (top) built.push(top);
    const mounted: MountedRoute[] = [];
    for (const path of paths) {
      const routeLog = log.child({ route: path });
      const chain = await middlewareOf(pipeline.routes[path]!, pipeline, routeLog, wrap, path);
      const route = await RouteProxy.build(path, pipeline.routes[path]!, pipeline, routeLog, bounds, name, chain, hub);
      built.push(route);
      mounted.push({ route, endpoint: endpointOf(route, pipeline, log, bounds) });
    }
    return { top, mounted };
  } catch (err) {
    await Promise.allSettled(built.map((r) => r.proxy.close()));
    await reapChildren();
    throw err;
  }
}

/** Every endpoint served now: the main one first, then the mounted routes in the order they came. */
export const servedRoutes = (state: ServedState): RouteProxy[] => [state.main, ...[...state.mounted.values()].map((m) => m.route)];

/** Every route's URL on the HTTP server, for the "ready" line. */
export const routeUrls = (url: string, mainPath: string, mounted: readonly MountedRoute[]): Record<string, string> =>
  Object.fromEntries([mainPath, ...mounted.map((m) => m.route.path)].map((p) => [p, new URL(p, url).href]));

/** Top-level settings a running process cannot take: they are said in the log and wait for a restart. */
const RESTART_ONLY = ['serve', 'chain', 'supervision', 'admin', 'tracing', 'credentials'] as const;

/**
 * Applies a checked (and preflighted) pipeline to what is running: each
 * endpoint's proxy is reconfigured in place (see `RouteProxy.update`),
 * routes that are new are mounted, routes that went away stop taking
 * requests and close once their requests in flight are done. What needs a
 * restart (the listening port, the chain id, …) is reported, not applied.
 */
export async function applyPipeline(state: ServedState, next: Pipeline): Promise<ReloadReport> {
  const { log, bounds } = state;
  const before = state.applied.current().config;
  const needRestart: string[] = RESTART_ONLY.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(next[k]));
  const report: ReloadReport = { changed: {}, routesAdded: [], routesRemoved: [], needRestart, drained: Promise.resolve() };
  const drains: Array<Promise<void>> = [];
  const note = (path: string, done: Reconfigured | undefined): void => {
    if (done === undefined) return;
    const { drained, ...rest } = done;
    report.changed[path] = rest;
    drains.push(drained);
  };

  const topNow = Object.keys(next.upstreams).length > 0 || Object.keys(next.routes).length === 0;
  const topRoute = { upstreams: next.upstreams, pipeline: next.pipeline };
  const deadlines = { ...defaultTimeouts, ...next.timeouts };
  if (deadlines.maxMs < deadlines.requestMs) {
    throw new ConfigError(`the maximum request time (${deadlines.maxMs} ms) is shorter than the request timeout (${deadlines.requestMs} ms)`);
  }
  // A changed auth: is built first too (a bad one refuses the reload). It is swapped in
  // place when the process started with auth: and still has it; turning authentication
  // on or off changes what the faces were started with, so that waits for a restart.
  let nextAuth: HttpAuthenticator | undefined;
  if (authFingerprint(before) !== authFingerprint(next)) {
    nextAuth = state.auth?.make(next);
    if (nextAuth === undefined) needRestart.push(state.auth === undefined ? 'auth (authentication turned on)' : 'auth (authentication turned off)');
  }
  // The face serves /oauth/callback only when it started with an auth.oauth upstream: a first one needs a restart.
  if (asksConsent(next) && state.hub?.routesMade !== true) {
    throw new ConfigError(
      'auth.oauth on an upstream of a process that started without one needs a restart (the HTTP face serves /oauth/callback from its start)',
    );
  }
  // Every chain is built (and so checked) before anything changes: a bad one refuses the whole reload.
  const chains = new Map<string, Middleware[]>();
  if (state.top !== undefined && topNow) chains.set(state.top.path, await middlewareOf(topRoute, next, state.top.proxy.log, state.wrap, state.top.path));
  for (const [path, route] of Object.entries(next.routes)) chains.set(path, await middlewareOf(route, next, log.child({ route: path }), state.wrap, path));

  if (state.top !== undefined && topNow) {
    note(state.top.path, await state.top.update(topRoute, next, bounds, chains.get(state.top.path)));
  } else if ((state.top !== undefined) !== topNow) {
    needRestart.push(topNow ? 'upstreams (top-level upstreams where there were none)' : 'upstreams (removing every top-level upstream)');
  }

  for (const [path, route] of Object.entries(next.routes)) {
    const chain = chains.get(path);
    const mounted = state.mounted.get(path);
    if (mounted !== undefined) {
      note(path, await mounted.route.update(route, next, bounds, chain));
    } else if (path === state.main.path && state.top === undefined) {
      note(path, await state.main.update(route, next, bounds, chain));
    } else if (state.server === undefined) {
      needRestart.push(`routes.${path}`);
    } else {
      const built = await RouteProxy.build(path, route, next, log.child({ route: path }), bounds, state.name, chain, state.hub);
      const m = { route: built, endpoint: endpointOf(built, next, log, bounds) };
      state.server.mount(m.endpoint);
      state.mounted.set(path, m);
      report.routesAdded.push(path);
    }
  }
  for (const [path, mounted] of [...state.mounted]) {
    if (path in next.routes) continue;
    state.mounted.delete(path);
    report.routesRemoved.push(path);
    drains.push(retireRoute(mounted, state.server!, log));
  }
  if (state.top === undefined && !(state.main.path in next.routes))
    needRestart.push(`routes.${state.main.path} (the first route cannot be removed while running)`);

  if (nextAuth !== undefined) {
    state.auth?.current.swap(nextAuth);
    // What a revoked credential opened before closes now: its streams would otherwise outlive it.
    for (const served of servedRoutes(state))
      closeRevoked(served.proxy, revokedBy(sectionAt(before, served.path), sectionAt(next, served.path)), served.path, log);
  }
  const auth = nextAuth === undefined ? before.auth : next.auth;
  state.applied.set({
    ...next,
    auth,
    serve: before.serve,
    chain: before.chain,
    supervision: before.supervision,
    admin: before.admin,
    tracing: before.tracing,
    credentials: before.credentials,
  });
  // Each retired link stops its own child; reapChildren would stop every child of the process.
  report.drained = Promise.all(drains).then(() => undefined);
  return report;
}
