import { storeSchema } from '../config/store-schema.js';
import { checkStore } from '../config/load.js';
import { ConfigError, type Logger } from '@mcproxy/core';
import { createObservability, tracingFromEnv, type Observability, type ObservedRoute, type PayloadPolicy, type UpstreamConfig } from '@mcproxy/observability';
import type { RouteProxy } from './routes.js';
import type { Pipeline } from '../config/schema.js';
import { adminSchema } from '../config/observability-schema.js';
import { BUILTIN_MIDDLEWARE } from '../pipeline/middleware.js';
import { CLI_VERSION } from '../version.js';

/**
 * Payloads appear in the dashboard's live tail only when the pipeline's
 * logging middleware logs them, with its redact paths and size: what an
 * operator may see on screen is what the logs may hold, never more.
 */
function payloadPolicy(pipeline: Pipeline): PayloadPolicy | undefined {
  const logging = pipeline.pipeline.find((m) => (BUILTIN_MIDDLEWARE[m.use] ?? m.use) === BUILTIN_MIDDLEWARE.logging);
  if (logging?.with.payloads !== true) return undefined;
  const redact = Array.isArray(logging.with.redact) ? logging.with.redact.filter((p): p is string => typeof p === 'string') : [];
  const max = logging.with.maxPayloadBytes;
  return { redact, maxPayloadBytes: typeof max === 'number' && max > 0 ? max : 8192 };
}

/**
 * What the pipeline (and the OTEL_* environment) asks to observe: the admin
 * listener from `admin:`, tracing from `tracing:` or OTEL_EXPORTER_OTLP_ENDPOINT.
 * With neither, the result is disabled and the chain is left as it is.
 */
export async function observabilityFor(pipeline: Pipeline, log: Logger, name: string | undefined): Promise<Observability> {
  const upstreams = new Map<string, UpstreamConfig>();
  for (const [upstream, u] of Object.entries(pipeline.upstreams)) upstreams.set(upstream, { required: u.required ?? false, protocol: u.protocol });
  const tracing = pipeline.tracing ?? (tracingFromEnv() ? {} : undefined);
  return createObservability({
    admin: pipeline.admin,
    tracing,
    upstreams,
    payloads: payloadPolicy(pipeline),
    log,
    about: { name: name ?? 'mcproxy', version: CLI_VERSION, upstreams: upstreams.size },
  });
}

/** What the admin listener watches: every endpoint's proxy, by its path, with each upstream's `required:` and protocol as configured now. */
export function observedRoutes(routes: readonly RouteProxy[]): ObservedRoute[] {
  return routes.map((r) => ({
    route: r.path,
    proxy: r.proxy,
    upstreams: new Map(Object.entries(r.upstreams).map(([name, u]) => [name, { required: u.required ?? false, protocol: u.protocol }])),
  }));
}

/** `--admin-port N`: the admin listener on that port (the file's other admin settings kept). */
export function withAdminPort(pipeline: Pipeline, port: number | undefined): Pipeline {
  if (port === undefined) return pipeline;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--admin-port must be a whole number from 0 to 65535; got "${port}"`);
  return { ...pipeline, admin: { ...(pipeline.admin ?? adminSchema.parse({})), port } };
}

/** `--store <url>`: the file's `store`, with this URL (a store of its own, defaults otherwise, when the file has none). */
export function withStore(pipeline: Pipeline, url: string | undefined): Pipeline {
  if (url === undefined) return pipeline;
  const store = pipeline.store ?? storeSchema.parse({ redis: { url } });
  const next = { ...pipeline, store: { ...store, redis: { ...store.redis, url } } };
  checkStore('--store', next);
  return next;
}
