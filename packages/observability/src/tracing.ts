import { createRequire } from 'node:module';
import type { Params } from '@mcproxy/core';
import {
  context as otelContext,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Span,
  type Tracer,
} from '@opentelemetry/api';

/** Tracing as the pipeline file's `tracing:` configures it; the standard OTEL_* variables fill in what it leaves out. */
export interface TracingOptions {
  /** The OTLP/HTTP base URL (`/v1/traces` is added), like OTEL_EXPORTER_OTLP_ENDPOINT; default: that variable, else the exporter's default. */
  endpoint?: string | undefined;
  /** `service.name` on every span (default: OTEL_SERVICE_NAME, else `mcproxy`). */
  serviceName?: string | undefined;
  /** The share of new traces sampled, 0 to 1 (a client's sampled flag is followed); default: OTEL_TRACES_SAMPLER, else all. */
  sampleRatio?: number | undefined;
}

const require = createRequire(import.meta.url);

/** Whether the environment asks for traces: an OTLP endpoint is set, and the SDK and the traces exporter are not turned off. */
export function tracingFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  if (['true', '1'].includes((env.OTEL_SDK_DISABLED ?? '').toLowerCase()) || env.OTEL_TRACES_EXPORTER === 'none') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * The proxy's tracer: spans for requests through the chain, W3C trace
 * context read from and written to `_meta` (the keys the MCP spec reserves
 * for it: `traceparent`, `tracestate`). Built with `createTracing`, which
 * loads OpenTelemetry's SDK only when tracing is on.
 */
export class Tracing {
  constructor(
    private readonly tracer: Tracer,
    private readonly propagator: import('@opentelemetry/core').W3CTraceContextPropagator,
    private readonly provider: import('@opentelemetry/sdk-trace-base').BasicTracerProvider,
  ) {}

  /** A server span for a request from a client, child of the trace context in its `_meta` when there is one. */
  server(name: string, meta: Params | undefined, attributes: Record<string, string>): Span {
    const parent =
      meta !== undefined && typeof meta.traceparent === 'string' ? this.propagator.extract(ROOT_CONTEXT, meta, defaultTextMapGetter) : ROOT_CONTEXT;
    return this.tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
  }

  /** A client span for one call to an upstream, child of `parent`. */
  client(name: string, parent: Span | undefined, attributes: Record<string, string>): Span {
    const ctx = parent === undefined ? otelContext.active() : trace.setSpan(ROOT_CONTEXT, parent);
    return this.tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, ctx);
  }

  /** `meta` with `span`'s context as `traceparent` (and `tracestate`), for the upstream. */
  inject(span: Span, meta: Params | undefined): Params {
    const carrier: Params = { ...meta };
    delete carrier.traceparent;
    delete carrier.tracestate;
    this.propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, defaultTextMapSetter);
    return carrier;
  }

  /** Ends `span` with how its request ended. */
  end(span: Span, outcome: string, error?: { code: number; message: string }): void {
    span.setAttribute('mcproxy.outcome', outcome);
    if (error !== undefined) {
      span.setAttribute('error.type', String(error.code));
      span.setAttribute('rpc.response.status_code', String(error.code));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    } else if (outcome === 'tool_error') {
      span.setAttribute('error.type', 'tool_error');
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  }

  /** Sends what is batched. */
  flush(): Promise<void> {
    return this.provider.forceFlush();
  }

  /** Sends what is batched and stops. */
  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}

/** Builds the tracer (loading OpenTelemetry's SDK and OTLP/HTTP exporter now, not at startup). */
export async function createTracing(options: TracingOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<Tracing> {
  // Node resolves these packages to their CommonJS builds; loading them through require says so
  // plainly (their ESM build is for bundlers, with imports Node cannot follow).
  const { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } =
    require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const resources = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { W3CTraceContextPropagator } = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
  const ratio = options.sampleRatio;
  if (ratio !== undefined && !(ratio >= 0 && ratio <= 1)) throw new RangeError(`tracing.sampleRatio must be from 0 to 1, not ${ratio}`);
  const serviceName = options.serviceName ?? env.OTEL_SERVICE_NAME ?? 'mcproxy';
  const resource = resources
    .defaultResource()
    .merge(resources.detectResources({ detectors: [resources.envDetector] }))
    .merge(resources.resourceFromAttributes({ 'service.name': serviceName }));
  const exporter = new OTLPTraceExporter(options.endpoint === undefined ? {} : { url: `${options.endpoint.replace(/\/+$/, '')}/v1/traces` });
  const provider = new BasicTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(exporter)],
    ...(ratio === undefined ? {} : { sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) }) }),
  });
  return new Tracing(provider.getTracer('mcproxy'), new W3CTraceContextPropagator(), provider);
}
