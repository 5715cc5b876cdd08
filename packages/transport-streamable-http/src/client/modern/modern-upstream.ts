// The 2026-07-28 side of an upstream link: one POST per request, no session,
// no resumption; closing the POST is how a request is cancelled.
import { wireOf } from '@mcproxy/large-json';
import type { IncomingMessage } from 'node:http';
import {
  envelopeVersion,
  errorReply,
  isNotDelivered,
  isObject,
  JSONRPCErrorCode,
  LEGACY_VERSIONS,
  Cancellation,
  limitReply,
  McpErrorCode,
  toResponse,
  type LimitReporter,
  type Logger,
  type Message,
  type Request,
  type RequestId,
} from '@mcproxy/core';
import { credentialsAnswer } from '../credentials.js';
import { rpcErrorIn, type HttpClient, type RpcError } from '../http-client.js';
import { standardHeaders } from '../../http/mcp-headers.js';
import { ToolHeaders } from './mcp-headers-tools.js';
import { mediaType, readEvents, readJson, readText } from '../read-body.js';
import { eventJson, SseParser, UpstreamTooLargeError } from '../sse-parser.js';
import type { UpstreamHeaders } from '../upstream-headers.js';

/** The most of a refusal's body read for the JSON-RPC error in it (a -32022 lists versions; nothing needs more). */
const REFUSAL_BYTES = 64 * 1024;
/** How long a stream may stay open after its answer before we let its socket go. */
const AFTER_ANSWER_MS = 1000;

/** The modern revision a message's envelope names, or undefined for a legacy message (no envelope, or a legacy version in it). */
export function modernVersionOf(message: Message): string | undefined {
  if (!('method' in message)) return undefined;
  const version = envelopeVersion(message.params);
  return version === undefined || LEGACY_VERSIONS.includes(version) ? undefined : version;
}

/**
 * Does a refusal's JSON-RPC error come from a 2026-07-28 server? Those
 * explain their 400s with the revision's own codes, and an unknown method
 * with a 404 that carries -32601; a legacy HTTP+SSE server's 4xx has no
 * such body. The spec's fallback rule hangs on this.
 */
export function isModernRefusal(status: number, error: RpcError | undefined): boolean {
  if (error === undefined) return false;
  if (status === 404) return error.code === -32601;
  return status === 400 && error.code <= McpErrorCode.HeaderMismatch && error.code >= McpErrorCode.UnsupportedProtocolVersion;
}

/** What the modern requests of a link need from it. */
export interface ModernHost {
  http: HttpClient;
  headers: UpstreamHeaders;
  log: Logger;
  maxMessageBytes: number;
  limitReporter: LimitReporter;
  /** Hands a message on, as about request `related` when given. */
  receive(message: Message, related: RequestId | undefined): void;
  /** The upstream cannot be reached (no connection): the link should close. */
  unreachable(err: Error): void;
}

const answers = (message: unknown, id: RequestId): boolean => isObject(message) && !('method' in message) && message.id === id;

/**
 * A link's 2026-07-28 requests in flight. Each is its own POST with the
 * revision's headers (`Mcp-Method`, `Mcp-Name`, `Mcp-Param-*` from the
 * `x-mcp-header` annotations this link has seen in `tools/list` results).
 * Its answer is a JSON body or an event stream whose every message is
 * handed on as about that request, up to the answer; nothing after it. An
 * HTTP refusal that carries a JSON-RPC error is that request's answer
 * (with `httpStatus` added to its data). A stream cut before the answer
 * cannot be resumed in this revision: `send` rejects, and core answers
 * "closed before answering". `cancel` aborts the POST, which is the
 * cancellation the revision knows.
 */
export class ModernRequests {
  private readonly inFlight = new Map<RequestId, { controller: Cancellation; method: string; firstPage: boolean }>();
  readonly tools: ToolHeaders;

  constructor(private readonly host: ModernHost) {
    this.tools = new ToolHeaders(host.log);
  }

  /** Sends `request` at `version` and settles once its answer was handed on; rejects when none can come. */
  async send(request: Request, version: string): Promise<void> {
    const { http, headers } = this.host;
    const refused = request.method === 'tools/call' ? this.tools.refusal(request.params) : undefined;
    if (refused !== undefined) {
      // The spec says a client must not call a tool whose annotations it rejected; it was taken out of the list.
      const name = String(request.params?.name).slice(0, 128);
      this.host.receive(
        toResponse(
          request.id,
          errorReply(JSONRPCErrorCode.InvalidParams, `tool "${name}" is not offered: its x-mcp-header annotations are invalid (${refused})`, {
            upstream: http.where,
          }),
        ),
        request.id,
      );
      return;
    }
    const controller = new Cancellation();
    const firstPage = request.method === 'tools/list' && request.params?.cursor === undefined;
    this.inFlight.set(request.id, { controller, method: request.method, firstPage });
    const extra = standardHeaders(request.method, request.params);
    if (request.method === 'tools/call') Object.assign(extra, this.tools.headersFor(request.params));
    try {
      const res = await http.request('POST', headers.forModern(request, version, extra), wireOf(request), controller);
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300) await this.refused(res, request);
      else await this.read(res, request);
    } catch (err) {
      // Cancelled: nobody waits for this answer any more.
      if (controller.aborted) return;
      if (err instanceof UpstreamTooLargeError) return this.tooLarge(err, request);
      const answer = credentialsAnswer(err, request.id, this.host.log, request.method);
      if (answer !== undefined && answer !== 'dropped') return this.host.receive(answer, request.id);
      if (isNotDelivered(err)) this.host.unreachable(err as Error);
      throw err;
    } finally {
      this.inFlight.delete(request.id);
    }
  }

  /** Abandons request `id` if it is ours and in flight (its POST is closed); false otherwise. */
  cancel(id: unknown): boolean {
    const entry = typeof id === 'string' || typeof id === 'number' ? this.inFlight.get(id) : undefined;
    if (entry === undefined) return false;
    entry.controller.abort(new Error('cancelled'));
    return true;
  }

  /** Is request `id` one of ours in flight? */
  has(id: RequestId): boolean {
    return this.inFlight.has(id);
  }

  /** The answer in a JSON body or on an event stream. */
  private async read(res: IncomingMessage, request: Request): Promise<void> {
    const { where } = this.host.http;
    const type = mediaType(res.headers['content-type']);
    if (type === 'text/event-stream') return this.follow(res, request);
    if (type !== 'application/json') {
      res.resume();
      throw new Error(`POST ${where} answered ${request.method} with ${res.statusCode === 202 ? 'no answer (202)' : `content type "${type}"`}`);
    }
    const read = await readJson(res, this.host.maxMessageBytes);
    if (read === undefined) throw new Error(`POST ${where} answered ${request.method} with JSON that does not parse`);
    const body = read.value;
    if (!answers(body, request.id)) throw new Error(`POST ${where} answered ${request.method} with JSON that is not its answer`);
    this.deliver(body as Message, request);
  }

  /** Reads an event stream up to the answer; one that ends or breaks before it rejects. */
  private async follow(res: IncomingMessage, request: Request): Promise<void> {
    const {
      http: { where },
      log,
    } = this.host;
    let answered = false;
    const parser = new SseParser(
      (event) => {
        if (answered || event.event !== 'message' || (event.data === '' && event.large === undefined)) return;
        const json = eventJson(event);
        if (json === undefined) {
          log.warn({ method: request.method }, `${where} sent an event that is not JSON`);
          return;
        }
        const message = json.value;
        answered = answers(message, request.id);
        this.deliver(message as Message, request);
        // The server should end the stream now; one that does not still gets its socket back soon.
        if (answered) setTimeout(() => res.destroy(), AFTER_ANSWER_MS).unref();
      },
      undefined,
      this.host.maxMessageBytes,
      true,
    );
    const cut = await readEvents(res, parser).then(
      () => undefined,
      (err: Error) => err,
    );
    if (cut instanceof UpstreamTooLargeError && !answered) throw cut;
    if (answered) return;
    const why = cut === undefined ? 'ended' : 'was cut off';
    throw new Error(`${where}: the event stream of ${request.method} ${why} before its answer (2026-07-28 streams cannot be resumed)`);
  }

  /** A refusal: its JSON-RPC error is the answer; without one, the request fails with the status. */
  private async refused(res: IncomingMessage, request: Request): Promise<void> {
    const text = await readText(res, REFUSAL_BYTES).catch(() => '');
    const error = rpcErrorIn(text);
    const status = res.statusCode ?? 0;
    if (error === undefined) throw this.host.http.refusalOf('POST', res, text.slice(0, 512));
    const data = error.data === undefined ? { httpStatus: status } : isObject(error.data) ? { ...error.data, httpStatus: status } : error.data;
    this.host.receive({ jsonrpc: '2.0', id: request.id, error: { code: error.code, message: error.message, data } }, request.id);
  }

  /** Hands a message on; the answer to a `tools/list` first goes through the tool book (invalid tools out). */
  private deliver(message: Message, request: Request): void {
    const entry = this.inFlight.get(request.id);
    if (entry?.method === 'tools/list' && answers(message, request.id) && 'result' in message) {
      const result = this.tools.learn(message.result, entry.firstPage);
      if (result !== message.result) message = { ...message, result } as Message;
    }
    this.host.receive(message, request.id);
  }

  /** An answer over the size limit was dropped unread: the request is answered -32016 naming the limit. */
  private tooLarge(err: UpstreamTooLargeError, request: Request): void {
    const { where } = this.host.http;
    this.host.limitReporter.hit(err.limit, err.value, { upstream: where, method: request.method });
    const reply = limitReply(err.limit, err.value, `the answer of ${where} to ${request.method} was dropped`, { upstream: where });
    this.host.receive(toResponse(request.id, reply), request.id);
  }
}
