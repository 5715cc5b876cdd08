import {
  ConfigError,
  LimitReporter,
  resolveLimits,
  silentLogger,
  type Channel,
  type CloseInfo,
  type ConnectContext,
  type Limits,
  type Logger,
  type Message,
  type MessageExtra,
  type SendOptions,
} from '@mcproxy/core';
import { modernVersionOf, parseUpstreamUrl, streamableHttpUpstream, type Http2Mode, type UpstreamCredentials } from '@mcproxy/transport-streamable-http';
import { AutoChannel, type UrlTransport } from './auto-channel.js';
import { sseUpstream } from './sse-upstream.js';

export interface UrlUpstreamOptions {
  /** The upstream's endpoint: `…/mcp` for Streamable HTTP, `…/sse` for the legacy transport; with `auto`, either. */
  url: string;
  /** Sent with every request (e.g. `Authorization`, unless `credentials` are given). Never logged. */
  headers?: Record<string, string>;
  /** Where every request's `Authorization` comes from, for the link's principal (core's `connect(context)`), on either transport. */
  credentials?: UpstreamCredentials;
  /**
   * `auto` (default): Streamable HTTP, falling back to HTTP+SSE when the
   * server answers the `initialize` POST with a 4xx that is not a
   * 2026-07-28 server's JSON-RPC error, as the MCP spec's
   * backwards-compatibility section describes. Or force either one. A
   * 2026-07-28 link (core's `server/discover` probe first) is always
   * Streamable HTTP: that revision has no other HTTP transport.
   */
  transport?: 'auto' | UrlTransport;
  /** SSE only: how long to wait for the stream's `endpoint` event. Default 30000 ms. */
  connectTimeoutMs?: number;
  /** Streamable HTTP only: how long closing a link waits for its DELETE. Default 3000 ms. */
  closeTimeoutMs?: number;
  /** `auto` (default): HTTP/2 when an https upstream offers it by ALPN; `prior-knowledge`: HTTP/2 from the first byte (h2c for http); `false`: HTTP/1.1. Either transport. */
  http2?: Http2Mode;
  /** The proxy's limits; links keep `upstreamMessageBytes` (default 64 MiB): a larger JSON body or event is refused, whichever transport carries it. */
  limits?: Partial<Limits>;
  /** Counts and logs limit hits; default one of its own on `log`, shared by both transports. */
  limitReporter?: LimitReporter;
  log?: Logger;
}

const TRANSPORTS = new Set(['auto', 'streamable-http', 'sse']);

/**
 * A connect function for core's `UpstreamSpec.connect` for an upstream
 * known by URL alone. With `transport: 'auto'` the first link finds out
 * which transport the server speaks (logged once, at info) and later links
 * of the same upstream use that one straight away; if it stops working
 * (the server was replaced), the next link finds out again. Connection
 * failures reject the first send with a message naming the URL, and close
 * the link. Options are checked here, once (`ConfigError`).
 *
 * @example
 * const connect = urlUpstream({ url: 'http://127.0.0.1:3001/sse', log });
 * const proxy = createProxy({ upstreams: [{ name: 'old', mode: 'per-session', connect }] });
 */
export function urlUpstream(options: UrlUpstreamOptions): (context?: ConnectContext) => Promise<Channel> {
  const transport = options.transport ?? 'auto';
  if (!TRANSPORTS.has(transport)) throw new ConfigError(`transport must be "auto", "streamable-http" or "sse", not "${String(transport)}"`);
  const { where } = parseUpstreamUrl(options.url);
  const log = options.log ?? silentLogger;
  const limits = resolveLimits(options.limits);
  const limitReporter = options.limitReporter ?? new LimitReporter(log.child({ url: where }));
  const { url, headers, credentials, http2 } = options;
  const connect = {
    'streamable-http': streamableHttpUpstream({ url, headers, credentials, closeTimeoutMs: options.closeTimeoutMs, http2, limits, limitReporter, log }),
    sse: sseUpstream({ url, headers, credentials, connectTimeoutMs: options.connectTimeoutMs, http2, limits, limitReporter, log }),
  };
  // The SSE channel names the URL in its own errors; a Streamable HTTP link
  // goes through AutoChannel even when forced, for errors that name the URL
  // and the HTTP status.
  if (transport === 'sse') return connect.sse;
  const autoLog = log.child({ url: where });
  // Per upstream spec, not per process: two upstreams at one URL learn separately.
  let known: UrlTransport | undefined = transport === 'auto' ? undefined : 'streamable-http';
  const learn = (found: UrlTransport | undefined): void => {
    if (transport === 'auto') known = found;
  };
  return async function connectUrl(context?: ConnectContext) {
    // Either transport opens this link for the same principal.
    const open: Record<UrlTransport, () => Promise<Channel>> = {
      'streamable-http': () => connect['streamable-http'](context),
      sse: () => connect.sse(context),
    };
    return new EraChannel(open['streamable-http'], () => new AutoChannel({ where, log: autoLog, open, known, learn }));
  };
}

/**
 * A link whose first message says which era it carries. A 2026-07-28 one
 * (core's `server/discover` probe on a modern link) goes to Streamable HTTP
 * as it is: the answer, or the refusal made an error reply, goes back to
 * core, which decides from it whether the upstream is modern; nothing falls
 * back to HTTP+SSE and nothing is learned, so legacy links of the same
 * upstream keep detecting their transport as before. Any other first
 * message goes through `AutoChannel`.
 */
class EraChannel implements Channel {
  onmessage?: ((message: Message, extra?: MessageExtra) => void) | undefined;
  onclose?: ((info?: CloseInfo) => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  private inner: Promise<Channel> | undefined;
  private opened: Channel | undefined;
  private closed = false;

  constructor(
    private readonly openModern: () => Promise<Channel>,
    private readonly openLegacy: () => Channel,
  ) {}

  get sessionId(): string | undefined {
    return this.opened?.sessionId;
  }

  get relatesMessages(): boolean {
    return this.opened?.relatesMessages === true;
  }

  async start(): Promise<void> {}

  async send(message: Message, options?: SendOptions): Promise<void> {
    if (this.closed) throw new Error('the link is closed');
    this.inner ??= this.open(modernVersionOf(message) !== undefined);
    return (await this.inner).send(message, options);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const inner = this.opened ?? (await this.inner?.catch(() => undefined));
    if (inner === undefined) this.onclose?.();
    else await inner.close();
  }

  private async open(modern: boolean): Promise<Channel> {
    const channel = modern ? await this.openModern() : this.openLegacy();
    channel.onmessage = (message, extra) => this.onmessage?.(message, extra);
    channel.onerror = (err) => this.onerror?.(err);
    channel.onclose = (info) => {
      this.closed = true;
      this.onclose?.(info);
    };
    await channel.start();
    this.opened = channel;
    return channel;
  }
}
