import { authOptionsSchema } from '@mcproxy/auth';
import { z } from 'zod';

/** The admin listener: health, readiness, upstream health, metrics and the dashboard, on a port of its own. */
export const adminSchema = z
  .strictObject({
    host: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe('The address to listen on (default 127.0.0.1; anything else needs `auth` here or at the top level, like the faces).'),
    port: z.number().int().min(0).max(65535).default(9464).describe('The port (default 9464); 0 picks a free one and logs the URL.'),
    probeIntervalMs: z
      .number()
      .int()
      .min(100)
      .default(5000)
      .describe('How often each upstream is probed (ping, or server/discover for one pinned to 2026-07-28), in milliseconds (default 5000).'),
    toolLabels: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(0)
      .describe(
        'Count tools/call by tool name in mcproxy_tool_calls_total, for at most this many names (the rest are "other"); 0 (default) keeps tool names out of metrics.',
      ),
    auth: authOptionsSchema
      .optional()
      .describe(
        'Who may read it (all but /healthz and /readyz), in place of the top-level `auth`. Without it the listener is open on loopback and takes the top-level `auth` beyond loopback.',
      ),
  })
  .describe('The admin listener (off unless given): GET /healthz, /readyz, /health/servers, /metrics, and the live dashboard at /.');

/** Tracing with OpenTelemetry, exported over OTLP/HTTP; the standard OTEL_* variables work too. */
export const tracingSchema = z
  .strictObject({
    endpoint: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('The OTLP/HTTP collector, e.g. http://127.0.0.1:4318 (/v1/traces is added); default OTEL_EXPORTER_OTLP_ENDPOINT.'),
    serviceName: z.string().min(1).optional().describe('service.name on every span (default OTEL_SERVICE_NAME, else mcproxy).'),
    sampleRatio: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe("The share of new traces recorded, 0 to 1 (a caller's sampling decision is followed); default all."),
  })
  .describe('Trace every request with OpenTelemetry (on when given, or when OTEL_EXPORTER_OTLP_ENDPOINT is set).');
