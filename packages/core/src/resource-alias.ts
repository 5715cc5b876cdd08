/**
 * The alias of a resource URI that says which upstream it belongs to:
 * `mcproxy://<upstream>/<URI, percent-encoded>`. mw-aggregate gives it to a
 * URI that two upstreams share and routes it back by it, for any URI, listed
 * or not; mw-filter must judge the URI an alias reaches, not only the alias.
 * The two packages may not depend on each other, so the format lives here.
 */
const SCHEME = 'mcproxy://';

/** Chained proxies nest aliases; a URI is decoded this many layers deep at most. */
const MAX_LAYERS = 8;

/**
 * The alias of `uri` at `upstream`; `parseAlias` undoes it, whatever either
 * contains (both are percent-encoded).
 *
 * @example
 * aliasUri('a', 'file:///etc/passwd') // 'mcproxy://a/file%3A%2F%2F%2Fetc%2Fpasswd'
 */
export function aliasUri(upstream: string, uri: string): string {
  return `${SCHEME}${encodeURIComponent(upstream)}/${encodeURIComponent(uri)}`;
}

/** Undoes one alias layer, or undefined when `uri` is not an alias (or does not decode). */
export function parseAlias(uri: string): { upstream: string; uri: string } | undefined {
  if (!uri.startsWith(SCHEME)) return undefined;
  const rest = uri.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return undefined;
  try {
    return { upstream: decodeURIComponent(rest.slice(0, slash)), uri: decodeURIComponent(rest.slice(slash + 1)) };
  } catch {
    return undefined;
  }
}

/** One spelling of a URI, and the upstream it names when it came out of an alias. */
export interface Spelling {
  uri: string;
  upstream: string | undefined;
}

/**
 * `uri` as written (at `upstream`, when known), then what each alias layer
 * in it reaches, outermost first.
 *
 * @example
 * spellingsOf('mcproxy://a/file%3A%2F%2F%2Fetc%2Fpasswd', undefined)
 * // [{ uri: 'mcproxy://a/file%3A%2F%2F%2Fetc%2Fpasswd', upstream: undefined }, { uri: 'file:///etc/passwd', upstream: 'a' }]
 */
export function spellingsOf(uri: string, upstream: string | undefined): Spelling[] {
  const out: Spelling[] = [{ uri, upstream }];
  let at = uri;
  for (let i = 0; i < MAX_LAYERS; i++) {
    const inner = parseAlias(at);
    if (inner === undefined) break;
    out.push(inner);
    at = inner.uri;
  }
  return out;
}
