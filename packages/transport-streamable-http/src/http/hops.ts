import type { IncomingHttpHeaders } from 'node:http';
import { HOPS_META_KEY, hopsOf, type Params } from '@mcproxy/core';

/** The same list as an HTTP header, comma-separated, for hops that cross HTTP. */
export const HOPS_HEADER = 'mcproxy-hops';

/** A hop id a header can carry as it is (no comma: the header is a comma-separated list). */
const HEADER_SAFE = /^[\x21-\x2b\x2d-\x7e]+$/;

/**
 * The header form of a hop list (`a,b`); ids a header cannot carry as they
 * are (commas, spaces, control characters) are left out. Undefined when
 * nothing is left.
 */
export function hopsHeader(hops: readonly string[]): string | undefined {
  const value = hops.filter((h) => HEADER_SAFE.test(h)).join(',');
  return value === '' ? undefined : value;
}

/** Reads the header form (`a, b`) back into a list. */
export function parseHopsHeader(value: string | string[] | undefined): string[] {
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  return text
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
}

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
