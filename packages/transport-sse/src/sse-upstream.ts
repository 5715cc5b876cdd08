import type { IncomingMessage } from 'node:http';
import { wireOf } from '@mcproxy/large-json';
import {
  ConfigError,
  isNotDelivered,
  isRequest,
  LimitReporter,
  NotDeliveredError,
  resolveLimits,
  silentLogger,
  type Channel,
  type CloseInfo,
  type ConnectContext,
  type Limits,
  type Logger,
  type Message,
  type MessageExtra,
  type RequestId,
} from '@mcproxy/core';
import {
  checkHeadersFor,
  credentialsAnswer,
  CredentialsFailure,
  HttpClient,
  type Http2Mode,
  LinkCredentials,
  mediaType,
  parseUpstreamUrl,
  readEvents,
  eventJson,
  SseParser,
  UpstreamHeaders,
  UpstreamTooLargeError,
  type SseEvent,
  type UpstreamCredentials,
} from '@mcproxy/transport-streamable-http';
import { describe } from './describe-error.js';

export interface SseUpstreamOptions {
  /** The upstream's SSE endpoint, e.g. `http://127.0.0.1:3001/sse`. */
  url: string;
  /** Sent with the GET and with every POST (e.g. `Authorization`, unless `credentials` are given). Never logged. */
  headers?: Record<string, string>;
  /** Where the GET's and each POST's `Authorization` comes from, for the link's principal (see transport-streamable-http's `UpstreamCredentials`). */
  credentials?: UpstreamCredentials;
  /** How long to wait for the stream and its `endpoint` event before giving up. Default 30000 ms. */
  connectTimeoutMs?: number;
  /** HTTP/2 for the stream and the POSTs, as streamable HTTP links have it (`auto`: by ALPN for https). */
  http2?: Http2Mode;
  /** The proxy's limits; the link keeps `upstreamMessageBytes` (default 64 MiB), the largest event taken. */
  limits?: Partial<Limits>;
  /** Counts and logs limit hits; default one of its own on `log`. */
  limitReporter?: LimitReporter;
  log?: Logger;
}

interface SseChannelOptions {
  url: URL;
  where: string;
  headers: Record<string, string>;
  connectTimeoutMs: number;
  maxMessageBytes: number;
  limitReporter: LimitReporter;
  log: Logger;
  credentials: LinkCredentials | undefined;
  http2: Http2Mode | undefined;
}

/**
 * One link to an upstream over the legacy SSE transport, on the same HTTP
 * client and bounded event parser as Streamable HTTP links (the SDK's
 * `SSEClientTransport` reads events with no size limit: one endless line
 * from an upstream took the process down). `start` opens the GET stream and
 * waits, never longer than the connect timeout, for its `endpoint` event;
 * each message is then POSTed there. When the stream breaks, or sends an
 * event over `maxMessageBytes`, the link closes, saying why: reconnecting
 * would get a new endpoint, a new upstream session nobody initialized, so
 * instead core answers what is in flight and opens (and initializes) a fresh
 * link for the next request. A POST refused with 404 (the server forgot the
 * session) or a connection refused rejects with a `NotDeliveredError`.
 */
export class SseUpstreamChannel implements Channel {
  onmessage?: ((message: Message, extra?: MessageExtra) => void) | undefined;
  onclose?: ((info?: CloseInfo) => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  private readonly stream: HttpClient;
  private posts: HttpClient | undefined;
  private readonly headers: UpstreamHeaders;
  private readonly initializeIds = new Set<RequestId>();
  private started = false;
  private ended = false;
  private lost: CloseInfo | undefined;
  /** The credentials failed for the GET: the first request is answered with their error, then the link closes. */
  private refusedBy: CredentialsFailure | undefined;

  constructor(private readonly options: SseChannelOptions) {
    this.stream = new HttpClient(options.url, Object.values(options.headers), options.credentials, { http2: options.http2 });
    this.headers = new UpstreamHeaders(options.headers);
  }

  async start(): Promise<void> {
    const { where, connectTimeoutMs, log } = this.options;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no endpoint event within ${connectTimeoutMs} ms`)), connectTimeoutMs);
    });
    const opened = this.open();
    opened.catch(() => undefined);
    try {
      await Promise.race([opened, timeout]);
      this.started = true;
      log.debug({}, 'SSE stream open');
    } catch (err) {
      // No credentials for the stream: the request that needed this link is told why (see send), as a Streamable HTTP link would.
      if (err instanceof CredentialsFailure) {
        this.refusedBy = err;
        this.started = true;
        return;
      }
      // A channel that never started owes nobody an onclose; but its stream must be shut.
      this.ended = true;
      this.shut();
      // The shared HTTP client's refusals are worded for Streamable HTTP.
      throw new Error(`could not open an SSE stream at ${where}: ${describe(err).replace(/^Streamable HTTP error: /, '')}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  async send(message: Message): Promise<void> {
    if (this.refusedBy !== undefined && this.lost === undefined && !this.ended) {
      const answer = credentialsAnswer(
        this.refusedBy,
        isRequest(message) ? message.id : undefined,
        this.options.log,
        'method' in message ? message.method : 'response',
      );
      if (answer !== undefined && answer !== 'dropped') this.receive(answer);
      this.lose({ reason: this.refusedBy.message, data: { reason: 'credentials' } });
      return;
    }
    const posts = this.posts;
    if (this.ended || this.lost !== undefined || posts === undefined)
      throw new NotDeliveredError(`the link to ${this.options.where} is closed`, this.lost?.data);
    if (isRequest(message) && message.method === 'initialize') this.initializeIds.add(message.id);
    const res = await posts.request('POST', this.headers.forPost(message), wireOf(message)).catch((err: unknown) => {
      if (isNotDelivered(err)) this.lose({ reason: (err as Error).message, data: (err as NotDeliveredError).data });
      const answer = credentialsAnswer(err, isRequest(message) ? message.id : undefined, this.options.log, 'method' in message ? message.method : 'response');
      if (answer === undefined) throw err;
      if (answer !== 'dropped') this.receive(answer);
    });
    if (res === undefined) return;
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) {
      // "Accepted": everything else comes on the stream.
      res.resume();
      return;
    }
    const err = await posts.refusal('POST', res);
    if (status !== 404) throw err;
    // The server no longer knows the session: it processed nothing, and the link is useless.
    this.lose({ reason: `HTTP 404 from ${posts.where}: the upstream no longer knows our session`, data: { httpStatus: 404 } });
    throw new NotDeliveredError(err.message, { httpStatus: 404 });
  }

  /** The legacy transport has no DELETE: the server ends the session when the stream goes. */
  async close(): Promise<void> {
    this.shut();
    if (this.ended) return;
    this.ended = true;
    this.onclose?.(this.lost);
  }

  private shut(): void {
    this.stream.destroy();
    this.posts?.destroy();
  }

  /** Closes the link at once, saying why (before the send that found out rejects, so core's retry gets a fresh link). */
  private lose(info: CloseInfo): void {
    if (this.lost !== undefined || this.ended) return;
    this.lost = info;
    this.options.log.warn({ reason: info.reason }, 'closing the link; the next request opens a new one');
    void this.close();
  }

  /** GETs the stream and reads it; resolves at its `endpoint` event, and after that reports its end by closing the link. */
  private open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const read = async (): Promise<void> => {
        const res = await this.stream.request('GET', this.headers.forGet(undefined));
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) throw await this.stream.refusal('GET', res);
        const type = mediaType(res.headers['content-type']);
        if (type !== 'text/event-stream') {
          res.resume();
          throw new Error(`the answer is "${type}", not an event stream`);
        }
        const parser = new SseParser((event) => this.event(event, res, resolve, reject), undefined, this.options.maxMessageBytes, true);
        const ended = await readEvents(res, parser).then(
          () => undefined,
          (err: Error) => err,
        );
        if (!this.started) throw ended ?? new Error('the stream ended before its endpoint event');
        this.broke(ended);
      };
      read().catch(reject);
    });
  }

  private event(event: SseEvent, res: IncomingMessage, resolve: () => void, reject: (err: Error) => void): void {
    if (event.event === 'endpoint') {
      if (this.posts !== undefined) return;
      let endpoint: URL;
      try {
        // An endpoint past a megabyte (it came as `large`) is no endpoint.
        endpoint = event.large === undefined ? new URL(event.data, this.options.url) : new URL('invalid:');
      } catch {
        endpoint = new URL('invalid:');
      }
      if (endpoint.origin !== this.options.url.origin) {
        res.destroy();
        reject(new Error(`its endpoint event names another origin (${endpoint.protocol}//${endpoint.host})`));
        return;
      }
      this.posts = new HttpClient(endpoint, Object.values(this.options.headers), this.options.credentials, { http2: this.options.http2 });
      resolve();
      return;
    }
    if (event.event !== 'message' || (event.data === '' && event.large === undefined)) return;
    const json = eventJson(event);
    if (json === undefined) {
      this.onerror?.(new Error(`${this.options.where} sent an event that is not JSON`));
      return;
    }
    this.receive(json.value as Message);
  }

  /** The stream is over after start: the server ended it, it was cut, or it sent too much. */
  private broke(why: Error | undefined): void {
    if (this.ended) return;
    const { where, log, limitReporter } = this.options;
    if (why instanceof UpstreamTooLargeError) {
      limitReporter.hit(why.limit, why.value, { upstream: where });
      this.lose({ reason: `${where} sent an event that is too large: ${why.message}`, data: { limit: why.limit, value: why.value } });
      return;
    }
    log.warn({ reason: why?.message ?? 'ended by the server' }, 'the SSE stream from the upstream broke');
    this.lose({ reason: `the SSE stream from ${where} ${why === undefined ? 'was ended by the server' : 'was cut off'}` });
  }

  private receive(message: Message): void {
    // As the SDK's Client does: later POSTs say which version was agreed.
    if (!('method' in message) && message.id !== null && this.initializeIds.delete(message.id)) {
      const version = (message as { result?: { protocolVersion?: unknown } }).result?.protocolVersion;
      if (typeof version === 'string') this.headers.protocolVersion = version;
    }
    try {
      this.onmessage?.(message);
    } catch (err) {
      this.onerror?.(err instanceof Error ? err : new Error(String(err)));
    }
  }
}

/**
 * A connect function for core's `UpstreamSpec.connect` that reaches an
 * upstream over the legacy HTTP+SSE transport (MCP 2024-11-05): each call
 * opens a new link, whose GET stream (made by core's `start`) is one
 * upstream session. The URL and limits are checked here, once; a bad one
 * throws a `ConfigError`. Logs name the upstream by origin and path only.
 *
 * @example
 * const proxy = createProxy({ upstreams: [{
 *   name: 'old', mode: 'per-session',
 *   connect: sseUpstream({ url: 'http://127.0.0.1:3001/sse', headers: { Authorization: `Bearer ${token}` } }),
 * }] });
 */
export function sseUpstream(options: SseUpstreamOptions): (context?: ConnectContext) => Promise<Channel> {
  const { url, where } = parseUpstreamUrl(options.url);
  const { credentials } = options;
  checkHeadersFor(credentials, options.headers);
  const connectTimeoutMs = options.connectTimeoutMs ?? 30_000;
  if (!Number.isFinite(connectTimeoutMs) || connectTimeoutMs <= 0)
    throw new ConfigError(`connectTimeoutMs must be a positive number of milliseconds, not ${connectTimeoutMs}`);
  const headers = { ...options.headers };
  const log = (options.log ?? silentLogger).child({ url: where, transport: 'sse' });
  const maxMessageBytes = resolveLimits(options.limits).upstreamMessageBytes;
  const limitReporter = options.limitReporter ?? new LimitReporter(log);

  return async function connectSse(context?: ConnectContext) {
    log.debug({}, 'opening a link');
    const linkCredentials = credentials === undefined ? undefined : new LinkCredentials(credentials, context?.principal);
    return new SseUpstreamChannel({
      url,
      where,
      headers,
      connectTimeoutMs,
      maxMessageBytes,
      limitReporter,
      log,
      credentials: linkCredentials,
      http2: options.http2,
    });
  };
}
