import { ConfigError, LimitReporter, resolveLimits, silentLogger, type Channel, type ConnectContext, type Limits, type Logger } from '@mcproxy/core';
import { checkHeadersFor, LinkCredentials, type UpstreamCredentials } from './credentials.js';
import type { Http2Mode } from './http2/h2-link.js';
import { UpstreamChannel } from './upstream-channel.js';
import { parseUpstreamUrl } from './upstream-url.js';

export interface StreamableHttpUpstreamOptions {
  /** The upstream's MCP endpoint, e.g. `https://mcp.example.com/mcp`. */
  url: string;
  /** Sent with every request (e.g. `Authorization`, unless `credentials` are given). Never logged. */
  headers?: Record<string, string>;
  /**
   * Where each request's `Authorization` comes from, asked for the principal
   * of the link (core's `connect(context)`); a 401 (or a 403 for want of
   * scope) is told to them and the request sent once more if they say so.
   */
  credentials?: UpstreamCredentials;
  /** How long closing a link waits for the DELETE that ends the upstream session. Default 3000 ms. */
  closeTimeoutMs?: number;
  /**
   * `auto` (default): HTTP/2 when an https upstream offers it by ALPN,
   * HTTP/1.1 otherwise; `prior-knowledge`: HTTP/2 from the first byte (h2c
   * for an http URL, as behind a service mesh); `false`: HTTP/1.1 only.
   */
  http2?: Http2Mode;
  /** The proxy's limits; this link keeps `upstreamMessageBytes` (default 64 MiB): a larger answer is answered -32016. */
  limits?: Partial<Limits>;
  /** Counts and logs limit hits; default one of its own on `log`. */
  limitReporter?: LimitReporter;
  log?: Logger;
}

/**
 * A connect function for core's `UpstreamSpec.connect`: each call opens a
 * new link (a new upstream session, made by the `initialize` core sends
 * first; or, for core's modern link, a stateless one whose requests each
 * carry their 2026-07-28 envelope and headers). The URL is checked here, once, and a bad one throws a
 * `ConfigError`. Logs name the upstream by origin and path only, since
 * queries and headers often carry credentials. `limits` are checked here
 * too (`ConfigError`).
 *
 * @example
 * const proxy = createProxy({ upstreams: [{
 *   name: 'docs', mode: 'per-session',
 *   connect: streamableHttpUpstream({ url: 'https://mcp.example.com/mcp', headers: { Authorization: `Bearer ${token}` } }),
 * }] });
 */
export function streamableHttpUpstream(options: StreamableHttpUpstreamOptions): (context?: ConnectContext) => Promise<Channel> {
  const { url, where } = parseUpstreamUrl(options.url);
  const { credentials } = options;
  checkHeadersFor(credentials, options.headers);
  const closeTimeoutMs = options.closeTimeoutMs ?? 3000;
  if (!Number.isFinite(closeTimeoutMs) || closeTimeoutMs < 0) throw new ConfigError(`closeTimeoutMs must be a number of milliseconds, not ${closeTimeoutMs}`);
  const http2 = options.http2 ?? 'auto';
  if (http2 !== 'auto' && http2 !== 'prior-knowledge' && http2 !== false)
    throw new ConfigError(`http2 must be "auto", "prior-knowledge" or false, not ${JSON.stringify(http2)}`);
  const headers = { ...options.headers };
  const log = (options.log ?? silentLogger).child({ url: where });
  const maxMessageBytes = resolveLimits(options.limits).upstreamMessageBytes;
  const limitReporter = options.limitReporter ?? new LimitReporter(log);

  return async function connectStreamableHttp(context?: ConnectContext) {
    log.debug({}, 'opening a link');
    const linkCredentials = credentials === undefined ? undefined : new LinkCredentials(credentials, context?.principal);
    return new UpstreamChannel({ url, headers, log, closeTimeoutMs, maxMessageBytes, limitReporter, credentials: linkCredentials, http2 });
  };
}
