import { resolve } from 'node:path';
import { createProxy, LimitReporter, resolveLimits, type Limits, type Logger, type UpstreamSpec } from '@mcproxy/core';
import { reapChildren, serveStdio, stdioUpstream } from '@mcproxy/transport-stdio';
import { createSseHandler, serveSse, urlUpstream } from '@mcproxy/transport-sse';
import { serveStreamableHttp, type MountedHandler } from '@mcproxy/transport-streamable-http';
import type { Pipeline, SseServe } from './config/schema.js';
import { BUILTIN_MIDDLEWARE, loadMiddleware } from './middleware.js';
import { checkNameCollisions } from './startup-check.js';
import { warnIfExposed } from './exposure.js';
import { observabilityFor } from './observability.js';
import type { Observability } from '@mcproxy/observability';
import { CLI_VERSION } from './version.js';

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
  close(): Promise<void>;
}

/** What every transport is given so that limits are the same everywhere and hits are counted once. */
interface Bounds {
  limits: Limits;
  limitReporter: LimitReporter;
}

function specs(pipeline: Pipeline, log: Logger, bounds: Bounds): UpstreamSpec[] {
  return Object.entries(pipeline.upstreams).map(([name, u]) => {
    if ('command' in u) {
      const connect = stdioUpstream({
        name,
        command: u.command,
        args: u.args,
        env: u.env,
        inheritEnv: u.inheritEnv,
        ...(u.cwd ? { cwd: resolve(pipeline.baseDir, u.cwd) } : {}),
        log,
        ...bounds,
      });
      // Each session of a per-session command runs a process of its own: those are capped.
      return { name, mode: u.mode, protocol: u.protocol, connect, ...(u.mode === 'per-session' ? { maxLinks: bounds.limits.perSessionChildren } : {}) };
    }
    const connect = urlUpstream({ url: u.url, headers: u.headers, transport: u.transport, log: log.child({ upstream: name }), ...bounds });
    return { name, mode: u.mode, protocol: u.protocol, connect };
  });
}

/** An entry that loads the built-in aggregate, by its short name or its package. */
const isAggregate = (entry: Pipeline['pipeline'][number]): boolean => (BUILTIN_MIDDLEWARE[entry.use] ?? entry.use) === BUILTIN_MIDDLEWARE.aggregate;

/**
 * With several upstreams something must choose one for each request: when
 * the pipeline has no aggregate, one with its defaults goes last.
 */
function withRouting(pipeline: Pipeline, log: Logger): Pipeline['pipeline'] {
  const count = Object.keys(pipeline.upstreams).length;
  if (count < 2 || pipeline.pipeline.some(isAggregate)) return pipeline.pipeline;
  log.info({ upstreams: count }, 'several upstreams and no aggregate in the pipeline: aggregating them with its defaults');
  return [...pipeline.pipeline, { use: 'aggregate', with: {} }];
}

/**
 * Builds the proxy a pipeline describes and starts its server sides.
 * Everything a pipeline file can do is here, importable, so the same proxy
 * can be assembled in code. `options.name` is the name the proxy gives
 * itself (serverInfo; default `mcproxy`).
 */
export async function startPipeline(pipeline: Pipeline, log: Logger, options: { name?: string | undefined } = {}): Promise<Running> {
  const entries = withRouting(pipeline, log);
  const observed = await observabilityFor(pipeline, log, options.name);
  const middleware = observed.wrap(
    await loadMiddleware(entries, pipeline.baseDir, log),
    entries.map((e) => e.use),
  );
  const bounds: Bounds = { limits: resolveLimits(pipeline.limits), limitReporter: new LimitReporter(log) };
  const proxy = createProxy({
    upstreams: specs(pipeline, log, bounds),
    middleware,
    timeouts: pipeline.timeouts,
    log,
    id: pipeline.chain.id,
    maxHops: pipeline.chain.maxHops,
    ...bounds,
    supervision: pipeline.supervision,
    serverInfo: { name: options.name ?? 'mcproxy', version: CLI_VERSION },
  });
  if (pipeline.pipeline.some((m) => isAggregate(m) && m.with.prefix === 'never')) {
    try {
      await checkNameCollisions(proxy, log);
    } catch (err) {
      await proxy.close();
      await reapChildren();
      throw err;
    }
  }
  const admin = await observed.start(proxy, bounds.limitReporter).catch(async (err: unknown) => {
    await proxy.close();
    await reapChildren();
    throw err;
  });
  const closers: Array<() => Promise<void>> = [];
  let url: string | undefined;
  let sseUrl: string | undefined;
  let ended: Promise<void> = new Promise(() => {});
  const { http, sse, stdio } = pipeline.serve;
  const upstreams = Object.keys(pipeline.upstreams);
  try {
    // SSE beside HTTP shares its port unless it asks for one of its own.
    const mounted = http !== undefined && sse !== undefined && sse.port === undefined;
    if (http) {
      const mounts: MountedHandler[] = [];
      if (mounted) {
        mounts.push(
          createSseHandler(proxy, {
            ...sseOptions(sse),
            host: http.host,
            allowedHosts: http.allowedHosts,
            allowedOrigins: http.allowedOrigins,
            dnsRebindingProtection: http.dnsRebindingProtection,
            log: log.child({ serve: 'sse' }),
            ...bounds,
          }),
        );
      }
      warnIfExposed(http.host, 'http', log);
      const server = await serveStreamableHttp(proxy, { ...http, mounts, log: log.child({ serve: 'http' }), ...bounds });
      closers.push(() => server.close());
      observed.watchServer('http', server.server);
      url = server.url;
      if (mounted) sseUrl = new URL(sse.path, server.url).href;
    }
    if (sse && !mounted) {
      warnIfExposed(sse.host ?? '127.0.0.1', 'sse', log);
      const server = await serveSse(proxy, {
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
      sseUrl = server.url;
    }
    if (url !== undefined || sseUrl !== undefined) log.info({ url: url ?? sseUrl, ...(sseUrl ? { sse: sseUrl } : {}), upstreams }, 'proxy ready');
    if (stdio) {
      const server = await serveStdio(proxy, { log: log.child({ serve: 'stdio' }), ...bounds });
      closers.push(() => server.close());
      ended = server.closed;
      log.info({ upstreams }, 'serving on stdio');
    }
  } catch (err) {
    // A face that cannot listen (EADDRINUSE, …) stops everything already started, children too.
    await Promise.allSettled(closers.map((c) => c()));
    await proxy.close();
    await reapChildren();
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
    async close() {
      await Promise.allSettled(closers.map((c) => c()));
      await proxy.close();
      await reapChildren();
      // Last, so the spans of what the closing answered are sent.
      await observed.close();
    },
  };
}

const sseOptions = (sse: SseServe) => ({ ssePath: sse.path, messagesPath: sse.messagesPath });
