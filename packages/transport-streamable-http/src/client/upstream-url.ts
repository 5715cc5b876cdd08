import { ConfigError } from '@mcproxy/core';

/** An upstream URL, checked, and how logs and errors may name it. */
export interface UpstreamUrl {
  url: URL;
  /** Origin and path only: queries often carry tokens. */
  where: string;
}

/**
 * Checks an upstream URL once, at configuration time, and throws a
 * `ConfigError` for one that cannot work: not a URL, not http or https, or
 * with credentials in it (fetch refuses such URLs). Error messages leave out
 * whatever follows `?` or `#`, which may be a token; log with `where`.
 *
 * @example
 * const { url, where } = parseUpstreamUrl('https://mcp.example.com/mcp?key=secret');
 * log.child({ url: where }); // https://mcp.example.com/mcp
 */
export function parseUpstreamUrl(raw: string): UpstreamUrl {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`upstream url "${redact(raw)}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`upstream url must be http: or https:, not ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError(`upstream url ${url.origin}${url.pathname} carries credentials; pass them in headers instead (fetch refuses such URLs)`);
  }
  return { url, where: `${url.origin}${url.pathname}` };
}

/** Whatever follows `?` or `#` may be a token: keep it out of error messages. */
function redact(raw: string): string {
  return raw.replace(/[?#].*$/s, '…');
}
