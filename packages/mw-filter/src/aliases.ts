/**
 * The other spellings of a resource URI. `mw-aggregate` gives a URI that two
 * upstreams share the alias `mcproxy://<upstream>/<URI, percent-encoded>` and
 * reads it back from that form, for any URI, listed or not; a filter must
 * judge the URI the alias reaches, not only the alias. Chained proxies nest
 * aliases, so every layer is decoded (at most `MAX_LAYERS`).
 *
 * The format is aggregate's (`rewriteUri` in mw-aggregate/src/names.ts);
 * this package may not depend on aggregate, so it reads the format here.
 * It belongs in core beside `MCP_LISTS`, where both can share it.
 */
const SCHEME = 'mcproxy://';
const MAX_LAYERS = 8;

/** One spelling of a URI, and the upstream it names when it came out of an alias. */
export interface Spelling {
  uri: string;
  upstream: string | undefined;
}

/** Undoes one `mcproxy://<upstream>/<uri>` alias, or undefined when `uri` is not one. */
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

/**
 * `uri` as written, then what each alias layer in it reaches.
 *
 * @example
 * spellingsOf('mcproxy://a/file%3A%2F%2F%2Fetc%2Fpasswd')
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
