import { decodedUri } from './decode.js';

/** `scheme:` and, when present, `//authority`: the part of a URI dot segments never touch. */
const HEAD = /^([A-Za-z][A-Za-z0-9+.-]*:)(\/\/[^/?#]*)?/;

/**
 * RFC 3986 section 5.2.4 (remove_dot_segments) on a path: `.` segments go,
 * `..` takes the segment before it with it, and never climbs above the root.
 */
export function removeDotSegments(path: string): string {
  const rooted = path.startsWith('/');
  const out: string[] = [];
  const segments = (rooted ? path.slice(1) : path).split('/');
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === '.' || segment === '..') {
      if (segment === '..' && out.length > 0) out.pop();
      // `a/b/..` is the folder `a/`: the trailing slash stays.
      if (last) out.push('');
      return;
    }
    out.push(segment);
  });
  return (rooted ? '/' : '') + out.join('/');
}

/** The head (scheme, authority) and the path of a URI; the query and fragment are left out. */
function split(uri: string): { head: string; path: string; tail: string } {
  const m = HEAD.exec(uri);
  const head = m?.[0] ?? '';
  const rest = uri.slice(head.length);
  const end = rest.search(/[?#]/);
  return end < 0 ? { head, path: rest, tail: '' } : { head, path: rest.slice(0, end), tail: rest.slice(end) };
}

/**
 * A URI as a server that resolves paths reaches it: percent-decoded (as
 * `decodedUri` does), then with its dot segments removed.
 *
 * @example
 * normalizedUri('file:///shared/%2E%2E/alice/secret') // 'file:///alice/secret'
 */
export function normalizedUri(uri: string): string {
  const { head, path, tail } = split(decodedUri(uri));
  return head + removeDotSegments(path) + tail;
}

const slashes = (text: string): number => text.split('/').length - 1;

/**
 * Could an upstream resolve this URI to something other than what it says?
 * True when its path has a `.` or `..` segment (written or percent-encoded),
 * a backslash, or an encoded `/` (`%2F`, `%252F`): a file server may follow
 * any of these its own way (symlinks, Windows separators, decoding late), so
 * a filter with resource rules cannot be sure which file it names.
 */
export function ambiguousUri(uri: string): boolean {
  const { head, path } = split(uri);
  const decoded = decodedUri(head + path);
  if (decoded.includes('\\') || slashes(decoded) !== slashes(head + path)) return true;
  // The decoded text is searched whole: decoding may have made a `?` that split() would stop at.
  const decodedPath = decoded.slice(HEAD.exec(decoded)?.[0].length ?? 0);
  return decodedPath.split(/[/?#]/).some((segment) => segment === '.' || segment === '..');
}
