import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { NotDeliveredError, onAbort, type Abort } from '@mcproxy/core';
import type { LinkCredentials } from './credentials.js';
import { H2Link, SpareAgent, type Http2Mode } from './http2/h2-link.js';
import { H2RequestError } from './http2/h2-sessions.js';
import { writeWire, type Wire } from '@mcproxy/large-json';
import { readPrefix } from './read-body.js';

/** Every request in flight holds a socket while its stream is open: room for a busy shared link, bounded all the same. */
const MAX_SOCKETS = 256;
/** Redirects followed for one request (as the SDK's client did: same origin only). */
const MAX_REDIRECTS = 5;
/** Bytes of a refusal's body read for its message: enough for a JSON-RPC error, and no more. */
const REFUSAL_BYTES = 512;
/** Network errors that mean no connection was ever made, so the server saw nothing. */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/**
 * An upstream answered with a status we cannot use, named by origin and path only. It is the SDK's error class (status in `code`,
 * message in the SDK's words), because what decides on a fallback to the HTTP+SSE transport (transport-sse's AutoChannel) recognises that one.
 */
export class UpstreamHttpError extends StreamableHTTPError {
  /** What core puts in the error data of the requests this failed. */
  readonly data: { httpStatus: number };
  /** The JSON-RPC error the body held, when it held one (a 2026-07-28 server explains its 400s and 404s so). */
  readonly rpcError: RpcError | undefined;
  constructor(status: number, message: string, rpcError?: RpcError) {
    super(status, message);
    this.data = { httpStatus: status };
    this.rpcError = rpcError;
  }

  get status(): number {
    return this.code ?? 0;
  }
}

/** A request that failed before its connection was made (refused, no such host): the server saw nothing of it. A `NotDeliveredError`, so core may send it again on a fresh link. */
export class UnreachableError extends NotDeliveredError {
  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, { code });
    this.name = 'UnreachableError';
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** The error object of a JSON-RPC error response. */
export interface RpcError {
  code: number;
  message: string;
  data?: unknown;
}

/** The error of a JSON-RPC error response in `text`, if that is what it is. */
export function rpcErrorIn(text: string): RpcError | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const error = (body as { error?: unknown } | null)?.error as Partial<RpcError> | undefined;
  if (typeof error !== 'object' || error === null || !Number.isInteger(error.code) || typeof error.message !== 'string') return undefined;
  return { code: error.code!, message: error.message, ...(error.data === undefined ? {} : { data: error.data }) };
}

/** How an `HttpClient` reaches its upstream, besides the URL. */
export interface HttpClientOptions {
  /** `auto` (default): HTTP/2 when an https upstream offers it by ALPN; `prior-knowledge`: HTTP/2 from the first byte (h2c for http); `false`: HTTP/1.1. */
  http2?: Http2Mode | undefined;
  /** Certificate authorities trusted for https instead of Node's (a private CA; tests). */
  ca?: string | Buffer | undefined;
}

const ATTEMPTS: Record<string, string> = { POST: 'Error POSTing to endpoint', GET: 'Error opening an event stream', DELETE: 'Error ending the session' };

/**
 * The HTTP side of one upstream link, on `node:http`/`node:https` with a
 * keep-alive agent of its own, so requests reuse warm sockets and closing
 * the link closes exactly its sockets; or on `node:http2` when the upstream
 * speaks it (`H2Link`: chosen by ALPN on the link's first connection for
 * https, or by `http2: 'prior-knowledge'`), each request a stream on as few
 * connections as the server's stream bound allows. `where` (origin and
 * path) is the only way errors name the upstream: queries and header
 * values may be secrets.
 */
export class HttpClient {
  readonly where: string;
  private readonly agent: HttpAgent;
  private readonly h2: H2Link | undefined;
  private readonly call: typeof httpRequest;
  private target: RequestOptions;
  private readonly open = new Set<ClientRequest>();
  private destroyed = false;
  private readonly secrets: string[];

  /** `secrets` (header values, say) are cut out of any text of the server's that an error relays; `credentials` give each request its `Authorization`. */
  constructor(
    private readonly url: URL,
    secrets: readonly string[] = [],
    private readonly credentials?: LinkCredentials,
    options: HttpClientOptions = {},
  ) {
    this.secrets = secretsOf(url, secrets);
    this.where = `${url.origin}${url.pathname}`;
    const secure = url.protocol === 'https:';
    const ca = options.ca === undefined ? {} : { ca: options.ca };
    const agent = secure ? new SpareAgent({ keepAlive: true, maxSockets: MAX_SOCKETS, ...ca }) : undefined;
    this.agent = agent ?? new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS });
    const http2 = options.http2 ?? 'auto';
    // Plain http in `auto` has nothing to ask by: HTTP/1.1, with no HTTP/2 machinery at all.
    if (http2 === 'prior-knowledge' || (http2 === 'auto' && secure)) this.h2 = new H2Link(url, http2, agent, MAX_SOCKETS, options.ca);
    this.call = secure ? httpsRequest : httpRequest;
    // URL keeps IPv6 hosts in brackets; the socket wants the bare address.
    const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.target = { protocol: url.protocol, hostname, port: url.port, path: `${url.pathname}${url.search}`, agent: this.agent };
  }

  /**
   * Sends one request and resolves to the response once its headers are in.
   * A redirect within the same origin (307 or 308, or any for GET) is
   * followed, as the SDK's client did, and the new path kept for the rest
   * of the link (a server that moved `/mcp` to `/mcp/` keeps the session
   * there); any other redirect is returned as it is. With credentials, see
   * `LinkCredentials.send` (a `CredentialsFailure` when they fail).
   */
  request(method: string, headers: OutgoingHttpHeaders, body?: Wire, signal?: Abort): Promise<IncomingMessage> {
    if (this.credentials === undefined) return this.follow(method, headers, body, signal);
    return this.credentials.send(headers, (authorized) => this.follow(method, authorized, body, signal), signal);
  }

  private async follow(method: string, headers: OutgoingHttpHeaders, body?: Wire, signal?: Abort): Promise<IncomingMessage> {
    for (let redirects = 0; ; redirects++) {
      const res = await this.once(method, headers, body, signal);
      const status = res.statusCode ?? 0;
      if (status < 300 || status >= 400 || redirects === MAX_REDIRECTS) return res;
      const target = this.sameOrigin(res.headers.location);
      if (target === undefined || !(status === 307 || status === 308 || method === 'GET')) return res;
      res.resume();
      this.target = { ...this.target, path: `${target.pathname}${target.search}` };
    }
  }

  /** One request, on HTTP/2 when this link speaks it. */
  private once(method: string, headers: OutgoingHttpHeaders, body: Wire | undefined, signal: Abort | undefined): Promise<IncomingMessage> {
    if (this.h2 === undefined) return this.onceH1(method, headers, body, signal);
    const route = this.h2.route();
    if (route === 'h1') return this.onceH1(method, headers, body, signal);
    if (route === 'h2') return this.onceH2(method, headers, body, signal);
    return route.then(
      (found) => (found === 'h2' ? this.onceH2(method, headers, body, signal) : this.onceH1(method, headers, body, signal)),
      (err: unknown) => Promise.reject(err instanceof H2RequestError ? this.failure(method, err.cause, err.connected) : err),
    );
  }

  /**
   * One request as an HTTP/2 stream. One the server surely or most likely
   * did not process (refused, never sent, or on a kept connection that had
   * gone) is sent once more, as `onceH1` does; a reset after the answer
   * began is the reader's to see.
   */
  private async onceH2(
    method: string,
    headers: OutgoingHttpHeaders,
    body: Wire | undefined,
    signal: Abort | undefined,
    before?: H2RequestError,
  ): Promise<IncomingMessage> {
    if (this.destroyed) throw new Error(`${method} ${this.where}: the link is closed`);
    if (signal?.aborted === true) throw new Error(`${method} ${this.where}: abandoned`);
    try {
      return await (this.h2 as H2Link).request(method, this.target.path ?? '/', headers, body, signal);
    } catch (err) {
      const failed = err as H2RequestError;
      // Aborted meanwhile (TypeScript still holds it to the check above).
      if ((signal as Abort | undefined)?.aborted === true) throw new Error(`${method} ${this.where}: abandoned`);
      if (before === undefined && failed.resend !== 'no' && !this.destroyed) return this.onceH2(method, headers, body, signal, failed);
      // A second attempt's refusal says nothing of a first the server may have read.
      throw this.failure(method, failed.cause, failed.connected || before?.resend === 'likely');
    }
  }

  /**
   * One request on HTTP/1.1. One written to a kept-alive socket that the
   * server had just closed (ECONNRESET before any answer) is sent once more
   * on a fresh one, as Node's documentation advises: most likely the server
   * never saw it. When `signal` aborts, the request (or the response being
   * read) is destroyed, which is how a 2026-07-28 client cancels.
   */
  private onceH1(method: string, headers: OutgoingHttpHeaders, body: Wire | undefined, signal: Abort | undefined): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const attempt = (again: boolean): void => {
        if (this.destroyed) {
          reject(new Error(`${method} ${this.where}: the link is closed`));
          return;
        }
        if (signal?.aborted === true) {
          reject(new Error(`${method} ${this.where}: abandoned`));
          return;
        }
        let req: ClientRequest;
        try {
          // A body in pieces (large parts kept as bytes) goes with its length, not chunked.
          const sized = typeof body === 'object' ? { ...headers, 'content-length': body.bytes } : headers;
          req = this.call({ ...this.target, method, headers: sized });
        } catch (err) {
          reject(this.failure(method, err, false));
          return;
        }
        let answered = false;
        let connected = false;
        this.open.add(req);
        // With an error, so a request not yet answered surely rejects.
        const abandon = (): void => void req.destroy(new Error('abandoned'));
        const settled = onAbort(signal, abandon);
        req.once('socket', (socket) => {
          if (!socket.connecting) connected = true;
          else socket.once('connect', () => void (connected = true));
        });
        req.once('response', (res) => {
          answered = true;
          res.once('close', () => {
            this.open.delete(req);
            settled();
          });
          resolve(res);
        });
        req.on('error', (err: NodeJS.ErrnoException) => {
          this.open.delete(req);
          if (answered) return;
          settled();
          if (signal?.aborted === true) reject(new Error(`${method} ${this.where}: abandoned`));
          else if (!again && req.reusedSocket && err.code === 'ECONNRESET') {
            // The other idle sockets are most likely just as dead (the server restarted): the resend takes a fresh one.
            this.dropIdleSockets();
            attempt(true);
          }
          // A second attempt's refusal says nothing of the first, which the server may have read before it died.
          else reject(this.failure(method, err, connected || again));
        });
        if (typeof body === 'object') {
          writeWire(req, body);
          req.end();
        } else req.end(body);
      };
      attempt(false);
    });
  }

  /** The error for a response we cannot use, with the upstream's own JSON-RPC error message when it gave one. */
  async refusal(method: string, res: IncomingMessage): Promise<UpstreamHttpError> {
    return this.refusalOf(method, res, await readPrefix(res, REFUSAL_BYTES));
  }

  /** The same, for a refusal whose body (`text`, maybe cut short) the caller has read. */
  refusalOf(method: string, res: IncomingMessage, text: string): UpstreamHttpError {
    const status = res.statusCode ?? 0;
    const detail = status >= 300 && status < 400 ? this.describeRedirect(res.headers.location) : this.scrub(said(text));
    return new UpstreamHttpError(
      status,
      `${ATTEMPTS[method] ?? method}: ${detail === '' ? '' : `${detail} `}(HTTP ${status}) at ${this.where}`,
      rpcErrorIn(text),
    );
  }

  /** An unfollowed redirect, its target named without query or credentials. */
  private describeRedirect(location: string | undefined): string {
    try {
      const target = new URL(location ?? '', this.url);
      return `a redirect to ${target.origin}${target.pathname}, not followed (only redirects within ${this.url.origin} are)`;
    } catch {
      return 'a redirect, not followed';
    }
  }

  /** A redirect's target, when it stays on our origin and adds no credentials. */
  private sameOrigin(location: string | undefined): URL | undefined {
    if (location === undefined) return undefined;
    try {
      const target = new URL(location, this.url);
      return target.origin === this.url.origin && target.username === '' && target.password === '' ? target : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Lets this link hold up to `maxSockets` connections at once. A 2026-07-28 link is shared by every session and each of its
   * `subscriptions/listen` streams holds a socket while it lives: a per-session link's bound would queue all behind a few hundred listeners.
   */
  allowSockets(maxSockets: number): void {
    this.agent.maxSockets = maxSockets;
    if (this.h2 !== undefined) this.h2.maxSessions = maxSockets;
  }

  private dropIdleSockets(): void {
    for (const sockets of Object.values(this.agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
  }

  /** Ends every request and stream of this link and its sockets. */
  destroy(): void {
    this.destroyed = true;
    for (const req of this.open) req.destroy();
    this.open.clear();
    this.agent.destroy();
    this.h2?.destroy();
  }

  /**
   * A network failure, worded as fetch's were ("fetch failed") so what reads
   * these errors keeps working. One before any connection was made is an
   * `UnreachableError`; once connected, the server may have read the request.
   */
  private failure(method: string, err: unknown, connected: boolean): Error {
    const why = this.scrub(err instanceof Error ? err.message : String(err));
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    const message = `fetch failed (${method} ${this.where}): ${why}`;
    if (!connected && typeof code === 'string' && NEVER_CONNECTED.has(code)) return new UnreachableError(message, code, { cause: err });
    return new Error(message, { cause: err });
  }

  /** `text` without any secret of this link in it. */
  private scrub(text: string): string {
    let out = text;
    const sent = this.credentials?.lastSent;
    for (const secret of sent === undefined ? this.secrets : [...secretsOf(this.url, [sent]), ...this.secrets]) out = out.split(secret).join('[redacted]');
    return out;
  }
}

/** What must never appear in an error: header values (and their words, e.g. a bearer token), the query and its values. */
function secretsOf(url: URL, values: readonly string[]): string[] {
  const found = new Set<string>();
  const add = (value: string): void => {
    // Short values (`1`, `yes`) would shred any text, and are no secret worth the name.
    if (value.length >= 6) found.add(value);
  };
  for (const value of values) {
    add(value);
    for (const word of value.split(/\s+/)) add(word);
  }
  add(url.search.slice(1));
  for (const value of url.searchParams.values()) add(value);
  // Longest first, so a value is cut whole before a word of it is.
  return [...found].sort((a, b) => b.length - a.length);
}

/** What a refusal's body says: the JSON-RPC error's message, or the text itself, on one line and short. */
function said(text: string): string {
  let found = text;
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } } | null)?.error?.message;
    if (typeof message === 'string') found = message;
  } catch {
    // Not JSON: the text is the detail.
  }
  const line = found.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
