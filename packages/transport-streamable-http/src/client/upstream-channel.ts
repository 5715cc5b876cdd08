import type { IncomingMessage } from 'node:http';
import { wireOf } from '@mcproxy/large-json';
import {
  isNotDelivered,
  isRequest,
  NotDeliveredError,
  type Channel,
  type CloseInfo,
  type LimitReporter,
  type Logger,
  type Message,
  type MessageExtra,
  type RequestId,
  type SendOptions,
} from '@mcproxy/core';
import { credentialsAnswer, type LinkCredentials } from './credentials.js';
import { readResumable, type StreamHost } from './event-streams.js';
import { HttpClient, type RpcError } from './http-client.js';
import type { Http2Mode } from './http2/h2-link.js';
import { isModernRefusal, ModernRequests, modernVersionOf } from './modern/modern-upstream.js';
import { PostAnswers } from './post-answer.js';
import { mediaType } from './read-body.js';
import { eventJson, UpstreamTooLargeError, type SseEvent } from './sse-parser.js';
import { UpstreamHeaders } from './upstream-headers.js';

export interface UpstreamChannelOptions {
  url: URL;
  headers: Record<string, string>;
  /** Bound to the URL's origin and path only: never headers, never the query. */
  log: Logger;
  /** How long `close()` waits for the DELETE that ends the upstream session. */
  closeTimeoutMs: number;
  /** The largest message taken from the upstream (limits.upstreamMessageBytes): a JSON body, one event. */
  maxMessageBytes: number;
  limitReporter: LimitReporter;
  /** Where each request's `Authorization` comes from, for this link's principal. */
  credentials?: LinkCredentials | undefined;
  /** HTTP/2 toward the upstream: by ALPN for https (`auto`, the default), from the first byte (`prior-knowledge`), or never (`false`). */
  http2?: Http2Mode | undefined;
}

/** Connections a 2026-07-28 link may hold: core's limits (sessions, requests per session) bound what is in flight long before this. */
const MODERN_MAX_SOCKETS = 4096;

/** Reconnection attempts without progress before the GET stream of server-initiated messages is given up (they are no longer heard). */
const LISTEN_TRIES = 8;

/**
 * One link to an upstream over Streamable HTTP, on `node:http` (see
 * `HttpClient`), doing what core, which forwards raw messages, cannot:
 * each message is POSTed with the session id, the agreed protocol version
 * and the hop list as headers; answers come back as JSON or as an event
 * stream, and every message on a POST's stream is handed on with that
 * request's id as `relatedRequestId`, so core routes it to the session that
 * asked. A stream that ends before its answer, after an event id, is
 * resumed with GET and `Last-Event-ID` (SEP-1699 polling). After
 * `notifications/initialized` a GET stream listens for what the upstream
 * starts on its own. A 404 for our session means the upstream forgot it,
 * and a refused connection that it is gone: that send rejects with a
 * `NotDeliveredError` (core may send it again on a fresh link) and the link
 * closes, saying why (`CloseInfo`), so core fails what is in flight. An
 * answer over `maxMessageBytes` is dropped unread and the request answered
 * -32016 instead. `close()` ends the session with DELETE.
 *
 * A message whose `_meta` envelope names a 2026-07-28 version goes the
 * stateless way instead (`ModernRequests`): its own POST with the
 * revision's headers and no session, no resumption, no GET and no DELETE;
 * core's `notifications/cancelled` for such a request closes its POST
 * rather than being sent. A link whose first message is modern sends no
 * notifications at all.
 */
export class UpstreamChannel implements Channel {
  onmessage?: ((message: Message, extra?: MessageExtra) => void) | undefined;
  onclose?: ((info?: CloseInfo) => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  private readonly http: HttpClient;
  private readonly headers: UpstreamHeaders;
  private readonly initializeIds = new Set<RequestId>();
  private readonly wakers = new Set<() => void>();
  private readonly streams: StreamHost;
  private readonly answers: PostAnswers;
  private readonly modern: ModernRequests;
  /** Set by the first message: a 2026-07-28 link sends no notifications (closing a POST is its cancellation). */
  private modernOnly: boolean | undefined;
  private listening = false;
  /** Why the link is going, once it is: onclose says so. */
  private lost: CloseInfo | undefined;
  /** The upstream forgot our session or cannot be reached: no DELETE then. */
  private gone = false;
  private closing: Promise<void> | undefined;
  private ended = false;

  constructor(private readonly options: UpstreamChannelOptions) {
    this.http = new HttpClient(options.url, Object.values(options.headers), options.credentials, { http2: options.http2 });
    this.headers = new UpstreamHeaders(options.headers);
    this.streams = {
      where: this.http.where,
      log: options.log,
      maxEventBytes: options.maxMessageBytes,
      closed: () => this.closing !== undefined,
      open: (lastEventId) => this.open(lastEventId),
      pause: (ms) => this.pause(ms),
      deliver: (event, related) => this.deliver(event, related),
    };
    this.answers = new PostAnswers({
      streams: this.streams,
      maxMessageBytes: options.maxMessageBytes,
      limitReporter: options.limitReporter,
      receive: (message, related) => this.receive(message, related),
    });
    this.modern = new ModernRequests({
      http: this.http,
      headers: this.headers,
      log: options.log,
      maxMessageBytes: options.maxMessageBytes,
      limitReporter: options.limitReporter,
      receive: (message, related) => this.receive(message, related),
      unreachable: (err) => this.lose({ reason: err.message, data: (err as NotDeliveredError).data }),
    });
  }

  get sessionId(): string | undefined {
    return this.headers.sessionId;
  }

  /** What the upstream sends about one of our requests comes on that request's own stream, so core can tell which call it is for. */
  readonly relatesMessages = true;

  /** The version the upstream agreed to in `initialize`, sent as `MCP-Protocol-Version` from then on. */
  get protocolVersion(): string | undefined {
    return this.headers.protocolVersion;
  }

  async start(): Promise<void> {}

  /**
   * POSTs `message`. For a request, resolves once its exchange is over (the
   * answer is in, or the upstream said 202, or an answer over the size limit
   * was replaced by -32016) and rejects when the answer can no longer come: a
   * refusal, a network error, a stream that cannot be resumed. It rejects
   * with a `NotDeliveredError` only when the upstream surely did not process
   * the message (a 404 for our session, no connection, a closed link).
   */
  async send(message: Message, _options?: SendOptions): Promise<void> {
    // Nothing left: core may send it again, on a fresh link.
    if (this.closing !== undefined || this.lost !== undefined) throw new NotDeliveredError(`the link to ${this.http.where} is closed`, this.lost?.data);
    const request = isRequest(message) ? message : undefined;
    const modern = modernVersionOf(message);
    if (this.modernOnly === undefined) {
      this.modernOnly = modern !== undefined;
      if (this.modernOnly) this.http.allowSockets(MODERN_MAX_SOCKETS);
    }
    if (modern !== undefined) return request === undefined ? undefined : this.modern.send(request, modern);
    if (request === undefined && 'method' in message && message.method === 'notifications/cancelled' && this.modern.cancel(message.params?.requestId)) return;
    // What core's peer says on a 2026-07-28 link (a cancellation of a request already answered, say) has no one to hear it.
    if (this.modernOnly && request === undefined) return;
    if (request?.method === 'initialize') {
      this.initializeIds.add(request.id);
      // A link that probed a 2025-era server and now initializes it (core's bridge) carries that session's traffic from here on.
      this.modernOnly = false;
    } else if (request === undefined && 'method' in message && message.method === 'notifications/cancelled') this.answers.abandon(message.params?.requestId);
    const res = await this.http.request('POST', this.headers.forPost(message), wireOf(message)).catch((err: unknown) => {
      if (isNotDelivered(err)) this.lose({ reason: (err as Error).message, data: (err as NotDeliveredError).data });
      // No credentials for it: a request is answered with their error, as if by the upstream (a notification is dropped).
      const answer = credentialsAnswer(err, request?.id, this.options.log, 'method' in message ? message.method : 'response');
      if (answer === undefined) throw err;
      if (answer !== 'dropped') this.receive(answer, undefined);
    });
    if (res === undefined) return;
    const session = res.headers['mcp-session-id'];
    if (typeof session === 'string') this.headers.sessionId = session;
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      const refusal = await this.refused('POST', res);
      // A 2026-07-28 server answered a legacy request with its revision's own error: that is the answer (core's bridge reads it).
      const answer = (refusal as { modernAnswer?: RpcError }).modernAnswer;
      if (request !== undefined && answer !== undefined) {
        this.onmessage?.({
          jsonrpc: '2.0',
          id: request.id,
          error: { code: answer.code, message: answer.message, ...(answer.data === undefined ? {} : { data: answer.data }) },
        });
        return;
      }
      throw refusal;
    }
    if (request === undefined || status === 202) {
      res.resume();
      if ('method' in message && message.method === 'notifications/initialized') this.listen();
      return;
    }
    return this.answers.read(res, request);
  }

  /**
   * Ends the upstream session (DELETE; a 405 means the server keeps sessions
   * until they expire, which is its right), then closes every socket and
   * stream of the link. A DELETE that does not come back within
   * `closeTimeoutMs` is abandoned.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const wake of this.wakers) wake();
      if (!this.gone && this.headers.sessionId !== undefined) {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, this.options.closeTimeoutMs);
        });
        const ended = this.http.request('DELETE', this.headers.forDelete()).then(
          (res) => {
            res.resume();
            this.options.log.debug({ status: res.statusCode }, 'ended the upstream session');
          },
          (err: unknown) => this.options.log.debug({ err }, 'could not end the upstream session'),
        );
        await Promise.race([ended, timeout]);
        clearTimeout(timer);
      }
      this.http.destroy();
      if (this.ended) return;
      this.ended = true;
      this.onclose?.(this.lost);
    })();
    return this.closing;
  }

  /**
   * The link cannot go on (the upstream forgot our session, or is gone):
   * closes it at once, saying why, before the send that found out rejects,
   * so that core's retry of that send opens a fresh link (core waits for the
   * verdict of a send under way when its link closes).
   */
  private lose(info: CloseInfo, gone = true): void {
    if (this.lost !== undefined || this.closing !== undefined) return;
    this.lost = info;
    this.gone = gone;
    this.options.log.warn({ reason: info.reason }, 'closing the link; the next request opens a new one');
    void this.close();
  }

  /**
   * The error for a status we cannot use. A 404 on our session means the
   * upstream forgot it (it restarted, or expired us): the request was not
   * processed, and the link closes.
   */
  private async refused(method: string, res: IncomingMessage): Promise<Error> {
    const err = await this.http.refusal(method, res);
    // A 2026-07-28 server refusing legacy traffic: no old transport would do better, so no UpstreamHttpError (no fallback).
    if (isModernRefusal(err.status, err.rpcError))
      return Object.assign(new Error(`${err.message}: the upstream speaks MCP 2026-07-28`, { cause: err }), { data: err.data, modernAnswer: err.rpcError });
    if (err.status !== 404 || this.headers.sessionId === undefined) return err;
    const reason = `HTTP 404 from ${this.http.where}: the upstream no longer knows our session`;
    this.lose({ reason, data: { httpStatus: 404 } });
    return new NotDeliveredError(`${err.message}: the upstream no longer knows our session`, { httpStatus: 404 });
  }

  /** Opens the GET stream for what the upstream starts on its own, and keeps it open while the link is. */
  private listen(): void {
    if (this.listening) return;
    this.listening = true;
    void readResumable(this.streams, undefined, { seen: () => undefined, more: () => true, tries: LISTEN_TRIES }).catch((err: Error) => {
      if (!(err instanceof UpstreamTooLargeError)) {
        this.onerror?.(err);
        return;
      }
      // Its messages would be lost from here on, unnoticed: better a fresh link.
      this.options.limitReporter.hit(err.limit, err.value, { upstream: this.http.where, stream: 'GET' });
      this.lose(
        { reason: `${this.http.where} sent an event on its GET stream that is too large: ${err.message}`, data: { limit: err.limit, value: err.value } },
        false,
      );
    });
  }

  /** A GET for an event stream; undefined when the server has none (405). */
  private async open(lastEventId: string | undefined): Promise<IncomingMessage | undefined> {
    const res = await this.http.request('GET', this.headers.forGet(lastEventId)).catch((err: unknown) => {
      // Nothing listens any more: the upstream is gone, and with it whatever this link had in flight.
      if (isNotDelivered(err)) this.lose({ reason: (err as Error).message, data: (err as NotDeliveredError).data });
      throw err;
    });
    const status = res.statusCode ?? 0;
    if (status === 405) {
      res.resume();
      return undefined;
    }
    if (status < 200 || status >= 300) throw await this.refused('GET', res);
    const type = mediaType(res.headers['content-type']);
    if (type !== 'text/event-stream') {
      res.resume();
      throw new Error(`GET ${this.http.where} answered with content type "${type}", not an event stream`);
    }
    return res;
  }

  /** Hands on the message of a `message` event (ignoring empty priming events) and returns it. */
  private deliver(event: SseEvent, related: RequestId | undefined): unknown {
    if (event.event !== 'message' || (event.data === '' && event.large === undefined)) return undefined;
    const json = eventJson(event);
    if (json === undefined) {
      this.onerror?.(new Error(`${this.http.where} sent an event that is not JSON`));
      return undefined;
    }
    const message = json.value;
    this.receive(message as Message, related);
    return message;
  }

  private receive(message: Message, related: RequestId | undefined): void {
    if (this.initializeIds.size > 0 && typeof message === 'object' && message !== null && !('method' in message)) {
      const { id, result } = message as { id: RequestId; result?: { protocolVersion?: unknown } };
      if (this.initializeIds.delete(id) && typeof result?.protocolVersion === 'string') this.headers.protocolVersion = result.protocolVersion;
    }
    try {
      this.onmessage?.(message, related === undefined ? undefined : { relatedRequestId: related });
    } catch (err) {
      this.onerror?.(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Waits `ms`, or less if the link closes meanwhile. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }
}
