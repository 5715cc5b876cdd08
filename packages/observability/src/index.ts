export { createObservability, Observability, type AdminConfig, type ObservabilityOptions } from './observability.js';
export { AUTH_REASONS, Metrics, TOKEN_GRANTS, type AuthReason, type TokenRequestEvent } from './metrics.js';
export { createTracing, Tracing, tracingFromEnv, type TracingOptions } from './tracing.js';
export { DEFAULT_ROUTE, UpstreamBoard, type ObservedRoute, type UpstreamConfig, type UpstreamReport, type UpstreamStatus } from './upstreams.js';
export { Feed, type TailEvent } from './feed.js';
export { observeRequests, observeUpstreamCalls, traced, type ObserveOptions } from './observe.js';
export { payloadShower, type PayloadPolicy } from './payload.js';
export { serveAdmin, type AdminAuth, type AdminOptions, type AdminServer } from './admin.js';
export { methodLabel, outcomeOf, ToolLabels, type Outcome } from './labels.js';
