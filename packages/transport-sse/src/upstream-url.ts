import { ConfigError } from '@mcproxy/core';

/** An upstream URL, checked, and how logs and errors may name it. */
export interface UpstreamUrl {
  url: URL;
  /** Origin and path only: queries often carry tokens. */
  where: string;
}

/**
 * Checks an upstream URL once, at configuration time: http or https, no
 * credentials in it (fetch refuses such URLs). Error messages leave out
 * whatever follows `?` or `#`, which may be a token.
 */
export function parseUpstreamUrl(raw: string): UpstreamUrl {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`upstream url "${raw.replace(/[?#].*$/s, '…')}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`upstream url must be http: or https:, not ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError(`upstream url ${url.origin}${url.pathname} carries credentials; pass them in headers instead`);
  }
  return { url, where: `${url.origin}${url.pathname}` };
}

/** An error's message, with the network cause fetch hides in `cause` (ECONNREFUSED and the like) and the HTTP status. */
export function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause;
  const detail = cause instanceof Error ? cause.message : typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : undefined;
  const message = detail === undefined || err.message.includes(detail) ? err.message : `${err.message} (${detail})`;
  // The SDK's HTTP errors carry the status in `code`, and not always in the message.
  const status = (err as { code?: unknown }).code;
  return typeof status === 'number' && !message.includes(String(status)) ? `${message} (HTTP ${status})` : message;
}
