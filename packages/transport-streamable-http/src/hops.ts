import type { IncomingHttpHeaders } from 'node:http';
import { HOPS_HEADER, HOPS_META_KEY, hopsHeader, hopsOf, parseHopsHeader, type Params } from '@mcproxy/core';

const IN_BODY = new RegExp(`"${HOPS_META_KEY.replace('/', '\\/')}":(\\[[^\\]]*\\])`);

/**
 * The hop list of an outgoing body, as a header value, without parsing the
 * whole body: the list is a short array of strings, found by its key.
 */
export function hopsHeaderFor(body: unknown): string | undefined {
  if (typeof body !== 'string') return undefined;
  const found = IN_BODY.exec(body)?.[1];
  if (found === undefined) return undefined;
  try {
    const hops = JSON.parse(found) as unknown;
    return Array.isArray(hops) ? hopsHeader(hops.filter((h): h is string => typeof h === 'string')) : undefined;
  } catch {
    return undefined;
  }
}

/** A fetch that copies each request's hop list into the `Mcproxy-Hops` header. */
export const fetchWithHops: typeof fetch = (input, init) => {
  const hops = hopsHeaderFor(init?.body);
  if (hops === undefined || init === undefined) return fetch(input, init);
  const headers = new Headers(init.headers);
  headers.set(HOPS_HEADER, hops);
  return fetch(input, { ...init, headers });
};

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
