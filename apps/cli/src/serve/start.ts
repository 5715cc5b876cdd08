import { LimitReporter, resolveLimits, type Logger, type Middleware, type Principal } from '@mcproxy/core';
import { MemoryConfigVersions } from '../config/config-versions.js';
import { reapChildren, serveStdio } from '@mcproxy/transport-stdio';
import { createSseHandler, serveSse } from '@mcproxy/transport-sse';
import { serveStreamableHttp, type HttpServer, type MountedHandler } from '@mcproxy/transport-streamable-http';
import type { Pipeline, SseServe } from '../config/schema.js';
import { applyPipeline, buildRoutes, routeUrls, servedRoutes, type ReloadReport, type ServedState } from './reload.js';
import type { Bounds } from './upstream-specs.js';
import { adminAuthFor, checkCors, checkExposure } from '../security/exposure.js';
import { AuthSwitch, authFor, metricReason, readTls, withoutTls } from '../security/security.js';
import type { AuthFailureReason } from '@mcproxy/auth';
import { observabilityFor, observedRoutes } from './observability.js';
import type { Observability } from '@mcproxy/observability';
import { CredentialHub, asksConsent } from '../credentials/hub.js';
import { warnUnreachableCallback, withOAuthPaths } from '../credentials/oauth-routes.js';
import { shareWithReplicas } from '../pipeline/middleware.js';
import { startReplica, type Replica } from './replicas.js';

export interface Running {
  /** The URL of the streamable HTTP server side (else the SSE one), when there is one. */
  url: string | undefined;
  /** The URL where legacy SSE clients open their stream, when SSE is served. */
  sseUrl: string | undefined;
  /** The admin listener's URL (health, metrics, dashboard), when `admin:` is configured. */
  adminUrl: string | undefined;
  /** Metrics, probes and tracing; `authFailure(reason)` counts refused requests. */
  observability: Observability;
  /** Resolves when a stdio server side's client has gone: time to exit. */
  ended: Promise<void>;
  /** Applies a checked pipeline to the running proxy without dropping sessions (see reload.ts). */
  reload(next: Pipeline): Promise<ReloadReport>;
  /** Reads every face's certificate files again; new connections get them (SIGHUP). Undefined when no face serves HTTPS. Throws if a file cannot be read or a key does not fit: the old certificate stays. */
  reloadTls: (() => void) | undefined;
  /** One of several replicas (store:): /readyz says draining, then the sessions held here go to the others. Undefined without a store. */
  drain: (() => Promise<void>) | undefined;
  close(): Promise<void>;
}

/**
 * Builds the proxy a pipeline describes and starts its server sides.
 * Everything a pipeline file can do is here, importable, so the same proxy
 * can be assembled in code. `options.name` is the name the proxy gives
 * itself (serverInfo; default `mcproxy`).
 */
export async function startPipeline(
  pipeline: Pipeline,
  log: Logger,
  options: { name?: string | undefined; beforeReady?: (() => void) | undefined; onAuthFailure?: (reason: AuthFailureReason) => void } = {},
): Promise<Running> {
  const observed = await observabilityFor(pipeline, log, options.name);
  // One of several replicas (store:): sessions, keys and rate limits in the shared store.
  const replica = await startReplica(pipeline, log, observed);
  shareWithReplicas(replica === undefined ? undefined : (entry) => ({ buckets: replica.bucketsFor(entry), keys: replica.keys }));
  const bounds: Bounds = {
    limits: resolveLimits(pipeline.limits),
    limitReporter: new LimitReporter(log),
    ...(replica === undefined ? {} : { keys: replica.keys, replicas: replica.face, relay: (path: string) => replica.relayFor(path) }),
  };
  const wrap = (middleware: Middleware[], names: readonly string[], route: string) => observed.wrap(middleware, names, route);
  // Credentials toward upstreams (auth: on URL upstreams): one token store and one set of flows for the process.
  const hub = await CredentialHub.create(pipeline, log, (e) => observed.tokenRequest(e));
  const { top, mounted: routed } = await buildRoutes(pipeline, log, bounds, options.name, wrap, hub).catch(async (err: unknown) => {
    await closeReplica(replica);
    throw err;
  });
  // Without top-level upstreams the first route is the one the HTTP server is built around.
  const main = top ?? routed.shift()!.route;
  const proxy = main.proxy;
  // Every refusal is counted by reason (metrics) and told to whoever asked.
  const onFailure = (reason: AuthFailureReason): void => {
    observed.authFailure(metricReason(reason));
    options.onAuthFailure?.(reason);
  };
  // Each verified JWT is kept for token exchange (auth.tokenExchange trades it for an upstream's token).
  const onAuthenticated = (principal: Principal, token: string): void => hub.noteToken(principal, token);
  const started = authFor(pipeline, log, onFailure, onAuthenticated);
  // Held behind a switch, so a reload can change keys and issuers in place.
  const auth = started === undefined ? undefined : new AuthSwitch(started);
  // The admin listener watches every route; a reload hands it the routes it leaves (see `reload` below).
  const admin = await Promise.resolve()
    .then(() => observed.start(observedRoutes([main, ...routed.map((m) => m.route)]), bounds.limitReporter, adminAuthFor(pipeline, auth, log)))
    .catch(async (err: unknown) => {
      await Promise.allSettled([proxy.close(), ...routed.map((m) => m.route.proxy.close())]);
      await reapChildren();
      await closeReplica(replica);
      throw err;
    });
  const closers: Array<() => Promise<void>> = [];
  const tlsReloads: Array<() => void> = [];
  let state: ServedState | undefined;
  let url: string | undefined;
  let sseUrl: string | undefined;
  let ended: Promise<void> = new Promise(() => {});
  const { http, sse, stdio } = pipeline.serve;
  const upstreams = Object.keys(pipeline.upstreams);
  try {
    // SSE beside HTTP shares its port unless it asks for one of its own.
    const mounted = http !== undefined && sse !== undefined && sse.port === undefined;
    let server: HttpServer | undefined;
    if (http) {
      const mounts: MountedHandler[] = routed.map((m) => m.endpoint);
      if (mounted) {
        mounts.push(
          createSseHandler(proxy, {
            ...sseOptions(sse),
            host: http.host,
            allowedHosts: http.allowedHosts,
            allowedOrigins: http.allowedOrigins,
            dnsRebindingProtection: http.dnsRebindingProtection,
            cors: http.cors,
            log: log.child({ serve: 'sse' }),
            ...bounds,
          }),
        );
      }
      checkExposure(http.host, 'http', pipeline.auth, log, pipeline.origin);
      checkCors(http.cors?.origins, 'http', pipeline.auth, log);
      const tls = readTls(http.tls, pipeline.baseDir, 'http');
      // Where a user authorizes an upstream (auth.oauth): reached by a browser, so without a principal.
      const consent = asksConsent(pipeline);
      if (consent) {
        mounts.push(hub.oauthRoutes(http, bounds.limits.clientMessageBytes));
        warnUnreachableCallback(http, log);
      }
      const faceAuth = consent && auth !== undefined ? withOAuthPaths(auth) : auth;
      server = await serveStreamableHttp(proxy, {
        ...withoutTls(http),
        path: main.path,
        tls,
        auth: faceAuth,
        mounts,
        log: log.child({ serve: 'http' }),
        ...bounds,
      });
      hub.listen(http.publicUrl ?? new URL(server.url).origin);
      const listening = server;
      replica?.watch(() => [listening, ...[...(state?.mounted.values() ?? routed)].map((m) => m.endpoint)]);
      if (http.tls) tlsReloads.push(() => listening.reloadTls(readTls(http.tls, pipeline.baseDir, 'http') as NonNullable<typeof tls>));
      closers.push(() => listening.close());
      observed.watchServer('http', server.server);
      url = server.url;
      if (mounted) sseUrl = new URL(sse.path, server.url).href;
    }
    if (sse && !mounted) {
      checkExposure(sse.host ?? '127.0.0.1', 'sse', pipeline.auth, log, pipeline.origin);
      checkCors(sse.cors?.origins, 'sse', pipeline.auth, log);
      const tls = readTls(sse.tls, pipeline.baseDir, 'sse');
      const server = await serveSse(proxy, {
        tls,
        auth,
        cors: sse.cors,
        ...sseOptions(sse),
        host: sse.host ?? '127.0.0.1',
        port: sse.port ?? 0,
        allowedHosts: sse.allowedHosts,
        allowedOrigins: sse.allowedOrigins,
        dnsRebindingProtection: sse.dnsRebindingProtection,
        log: log.child({ serve: 'sse' }),
        ...bounds,
      });
      closers.push(() => server.close());
      observed.watchServer('sse', server.server);
      if (sse.tls) tlsReloads.push(() => server.reloadTls(readTls(sse.tls, pipeline.baseDir, 'sse') as NonNullable<typeof tls>));
      sseUrl = server.url;
    }
    options.beforeReady?.();
    const routes = server === undefined || routed.length === 0 ? undefined : routeUrls(server.url, main.path, routed);
    if (url !== undefined || sseUrl !== undefined)
      log.info({ url: url ?? sseUrl, ...(sseUrl ? { sse: sseUrl } : {}), upstreams, ...(routes ? { routes } : {}) }, 'proxy ready');
    state = {
      applied: new MemoryConfigVersions(pipeline),
      main,
      top,
      mounted: new Map(routed.map((m) => [m.route.path, m])),
      server,
      bounds,
      log,
      name: options.name,
      wrap,
      hub,
      ...(auth === undefined ? {} : { auth: { current: auth, make: (next: Pipeline) => authFor(next, log, onFailure, onAuthenticated) } }),
    };
    if (stdio) {
      const server = await serveStdio(proxy, { log: log.child({ serve: 'stdio' }), ...bounds });
      closers.push(() => server.close());
      ended = server.closed;
      log.info({ upstreams }, 'serving on stdio');
    }
  } catch (err) {
    // A face that cannot listen (EADDRINUSE, …) stops everything already started, children too.
    await Promise.allSettled(closers.map((c) => c()));
    await Promise.allSettled([proxy.close(), ...routed.map((m) => m.route.proxy.close())]);
    await reapChildren();
    await closeReplica(replica);
    await observed.close();
    throw err;
  }
  observed.serving();
  return {
    url,
    sseUrl,
    adminUrl: admin,
    observability: observed,
    ended,
    async reload(next) {
      try {
        return await applyPipeline(state!, next);
      } finally {
        observed.setRoutes(observedRoutes(servedRoutes(state!)));
      }
    },
    drain: replica === undefined ? undefined : () => replica.drain(log),
    reloadTls:
      tlsReloads.length === 0
        ? undefined
        : () => {
            for (const reload of tlsReloads) reload();
          },
    async close() {
      await Promise.allSettled(closers.map((c) => c()));
      await Promise.allSettled([proxy.close(), ...[...(state?.mounted.values() ?? [])].map((m) => m.route.proxy.close())]);
      await reapChildren();
      await closeReplica(replica);
      // Last, so the spans of what the closing answered are sent.
      await observed.close();
    },
  };
}

const sseOptions = (sse: SseServe) => ({ ssePath: sse.path, messagesPath: sse.messagesPath });

/** The replica's lease and store connection go last, after every session here has ended. */
async function closeReplica(replica: Replica | undefined): Promise<void> {
  if (replica === undefined) return;
  shareWithReplicas(undefined);
  await replica.close();
}
