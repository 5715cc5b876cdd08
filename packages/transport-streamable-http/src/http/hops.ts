import type { IncomingHttpHeaders } from 'node:http';
import { HOPS_HEADER, HOPS_META_KEY, hopsOf, parseHopsHeader, type Params } from '@mcproxy/core';

/**
 * A message that reached us over HTTP with a hop header but no hop list in
 * `_meta` (something on the way dropped it) gets the header's list, so the
 * proxy's loop check still sees every hop.
 */
export function hopsFromHeader(body: unknown, headers: IncomingHttpHeaders): unknown {
  const header = parseHopsHeader(headers[HOPS_HEADER]);
  if (header.length === 0 || typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const message = body as { method?: unknown; params?: Params };
  if (typeof message.method !== 'string' || hopsOf(message.params).length > 0) return body;
  return { ...message, params: { ...message.params, _meta: { ...(message.params?._meta as Params | undefined), [HOPS_META_KEY]: header } } };
}
