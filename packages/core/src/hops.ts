import type { Params } from './jsonrpc.js';

/**
 * The `_meta` key under which each mcproxy a request passes through adds
 * its id. A proxy that finds its own id there is in a loop.
 */
export const HOPS_META_KEY = 'mcproxy/hops';

/** The same list as an HTTP header, comma-separated, for hops that cross HTTP. */
export const HOPS_HEADER = 'mcproxy-hops';

/** The proxies a request has passed through, oldest first; anything malformed counts as none. */
export function hopsOf(params: Params | undefined): readonly string[] {
  const hops = (params?._meta as Params | undefined)?.[HOPS_META_KEY];
  return Array.isArray(hops) ? hops.filter((h): h is string => typeof h === 'string') : [];
}

/** `params` with `id` appended to its hop list (a copy; the original is left alone). */
export function withHop(params: Params | undefined, hops: readonly string[], id: string): Params {
  const meta = (params?._meta as Params | undefined) ?? {};
  return { ...params, _meta: { ...meta, [HOPS_META_KEY]: [...hops, id] } };
}

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
  const text = Array.isArray(value) ? value.join(',') : value ?? '';
  return text.split(',').map((h) => h.trim()).filter((h) => h !== '');
}
