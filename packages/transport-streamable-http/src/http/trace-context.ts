import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Message, Params } from '@mcproxy/core';

/**
 * W3C trace context travels two ways over HTTP: the `traceparent`,
 * `tracestate` and `baggage` headers, and (as the MCP spec reserves these
 * three `_meta` keys for it) inside the message. The face copies the headers
 * into `_meta` when the message carries none of its own, so middleware and
 * tracing read one place; the upstream side mirrors `_meta` back into
 * headers, so a chain of proxies, or an HTTP-instrumented server behind one,
 * stays one trace. Values are checked first: a header never carries a
 * malformed or oversized value on, and never a line break.
 */
export const TRACE_KEYS = ['traceparent', 'tracestate', 'baggage'] as const;

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-[ -~]*)?$/;
const PRINTABLE = /^[ -~]*$/;
const MAX: Record<(typeof TRACE_KEYS)[number], number> = { traceparent: 256, tracestate: 512, baggage: 8192 };

/** A trace context value worth passing on: the W3C shapes, bounded, printable ASCII. */
export function traceValue(key: (typeof TRACE_KEYS)[number], value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX[key]) return undefined;
  if (key === 'traceparent') return TRACEPARENT.test(value) && !value.startsWith('ff') ? value : undefined;
  return PRINTABLE.test(value) ? value : undefined;
}

/** The message with the request's trace headers in `_meta`, unless it brings a `traceparent` there itself. */
export function traceFromHeaders(body: unknown, headers: IncomingHttpHeaders): unknown {
  const parent = traceValue('traceparent', headers.traceparent);
  if (parent === undefined || typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const message = body as { method?: unknown; params?: Params };
  const meta = message.params?._meta as Params | undefined;
  if (typeof message.method !== 'string' || (meta !== undefined && 'traceparent' in meta)) return body;
  const added: Params = { traceparent: parent };
  for (const key of ['tracestate', 'baggage'] as const) {
    const value = traceValue(key, headers[key]);
    if (value !== undefined) added[key] = value;
  }
  return { ...message, params: { ...message.params, _meta: { ...meta, ...added } } };
}

/** Adds `message`'s trace context from `_meta` to outgoing `headers` (changed in place, and returned). */
export function traceHeaders(message: Message, headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const meta = 'method' in message ? (message.params?._meta as Params | undefined) : undefined;
  if (meta === undefined) return headers;
  for (const key of TRACE_KEYS) {
    const value = traceValue(key, meta[key]);
    if (value !== undefined) headers[key] = value;
  }
  return headers;
}
