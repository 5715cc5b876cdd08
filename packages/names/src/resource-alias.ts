/**
 * The alias of a resource URI that says which upstream it belongs to:
 * `mcproxy://<upstream>/<URI, percent-encoded>`. mw-aggregate gives it to a
 * URI that two upstreams share and routes it back by it, for any URI, listed
 * or not; mw-filter must judge the URI an alias reaches, not only the alias.
 * The two packages may not depend on each other, so the format lives here.
 *
 * Two variants: an MCP App's `ui://` resource must stay a `ui://` address
 * (hosts render only those), so its alias is `ui://mcproxy/<upstream>/<URI>`;
 * and a resource template is aliased verbatim after a `=`
 * (`mcproxy://<upstream>/=<template>`), so a client's expansion of the alias
 * undoes to exactly the URI the upstream's own template expands to
 * (percent-encoding the template would make the expanded values decode twice).
 * `encodeURIComponent` never writes `=`, so the two forms cannot be confused.
 */
const SCHEME = 'mcproxy://';
const UI_SCHEME = 'ui://mcproxy/';
const VERBATIM = '=';

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
  return `${schemeOf(uri)}${encodeURIComponent(upstream)}/${encodeURIComponent(uri)}`;
}

/**
 * The alias of a resource template at `upstream`: the template itself after
 * `=`, so each URI the client expands from the alias undoes (`parseAlias`)
 * to the URI the upstream's template gives for the same values.
 *
 * @example
 * aliasTemplate('a', 'file:///{+path}') // 'mcproxy://a/=file:///{+path}'
 */
export function aliasTemplate(upstream: string, template: string): string {
  return `${schemeOf(template)}${encodeURIComponent(upstream)}/${VERBATIM}${template}`;
}

/** `ui://` addresses stay `ui://` addresses (MCP Apps hosts render nothing else). */
const schemeOf = (uri: string): string => (uri.startsWith('ui://') ? UI_SCHEME : SCHEME);

/** Undoes one alias layer, or undefined when `uri` is not an alias (or does not decode). */
export function parseAlias(uri: string): { upstream: string; uri: string } | undefined {
  const scheme = uri.startsWith(SCHEME) ? SCHEME : uri.startsWith(UI_SCHEME) ? UI_SCHEME : undefined;
  if (scheme === undefined) return undefined;
  const rest = uri.slice(scheme.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return undefined;
  try {
    const upstream = decodeURIComponent(rest.slice(0, slash));
    const inner = rest.slice(slash + 1);
    return { upstream, uri: inner.startsWith(VERBATIM) ? inner.slice(VERBATIM.length) : decodeURIComponent(inner) };
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
