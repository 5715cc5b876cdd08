// One 2026-07-28 POST as a channel: the request goes in, its notifications and answer come out on the same response.
import type { ServerResponse } from 'node:http';
import { JSONRPCErrorCode, McpErrorCode, ProxyErrorCode, type Channel, type Message, type MessageExtra, type RequestId, type Response } from '@mcproxy/core';
import { framed, wireOf, type Wire } from '@mcproxy/large-json';
import { endJson } from '../../http/json-writes.js';
import { writeOrCut } from '../../http/sse-writes.js';

/** A stream nobody may buffer or cache; no session id, no event ids: a modern stream is not resumable. */
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' };

export interface ModernChannelOptions {
  /** The client's id for the request this POST carries. */
  id: RequestId;
  method: string;
  res: ServerResponse;
  /** Bytes written and not yet taken by the reader; past this the response is cut (the request is then cancelled). */
  slowReaderBytes: number;
  onSlowReader(buffered: number): void;
  /** SSE comment sent this often on an open `subscriptions/listen` stream; 0: never. */
  keepAliveMs: number;
  /** The response is over, answered or abandoned. */
  onEnd(): void;
  /** Awaited before the answer is written (replicas record where an input_required round's call is held). */
  beforeAnswer?: ((answer: Response) => Promise<void>) | undefined;
}

/**
 * The HTTP status of a JSON answer: the spec wants 404 for a method the
 * server does not have, and 400 for an unsupported revision or a missing
 * client capability, and 429 for a rate limit (ours); any other answer,
 * error or not, is 200.
 */
export function statusOf(answer: Response): number {
  const code = answer.error?.code;
  if (code === JSONRPCErrorCode.MethodNotFound) return 404;
  if (code === McpErrorCode.UnsupportedProtocolVersion || code === McpErrorCode.MissingRequiredClientCapability) return 400;
  if (code === ProxyErrorCode.RateLimited) return 429;
  return 200;
}

/** `Retry-After` (whole seconds, rounded up) for a rate-limited answer, from its `data.retryAfterMs`. */
function retryAfterOf(answer: Response): Record<string, string> {
  if (answer.error?.code !== ProxyErrorCode.RateLimited) return {};
  const ms = (answer.error.data as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  return typeof ms === 'number' && Number.isFinite(ms) ? { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) } : {};
}

/**
 * Core's side of one modern POST: a channel that lives as long as its
 * request. An answer with nothing before it goes out as plain JSON; the
 * first notification turns the response into an event stream, and the
 * answer then ends it. When the response closes before the answer (the
 * client left, or read too slowly) `onclose` fires, which core takes as
 * cancellation, and nothing more is written.
 */
export class ModernChannel implements Channel {
  onmessage?: ((message: Message, extra?: MessageExtra) => void) | undefined;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  private sse = false;
  private over = false;
  private keepAlive: NodeJS.Timeout | undefined;

  constructor(private readonly options: ModernChannelOptions) {
    // Fires when the answer has gone out, and when the client goes away before it.
    options.res.once('close', () => this.end());
  }

  /** True once the response is over: nothing more goes to this client. */
  get ended(): boolean {
    return this.over;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  /** Hands the POSTed request to core. */
  deliver(message: Message): void {
    this.onmessage?.(message);
  }

  async send(message: Message): Promise<void> {
    if (this.over) return;
    const { res, id } = this.options;
    if ('method' in message) {
      this.event(message);
      return;
    }
    // Core answers only the request it was given; anything else has no place on this response.
    if (message.id !== id) return;
    if (this.options.beforeAnswer !== undefined) await this.options.beforeAnswer(message);
    if (this.sse) {
      this.event(message);
      res.end();
    } else {
      endJson(res, statusOf(message), retryAfterOf(message), message);
    }
    this.end();
  }

  async close(): Promise<void> {
    if (!this.options.res.writableEnded) this.options.res.end();
    this.end();
  }

  private event(message: Message): void {
    const { res } = this.options;
    if (!this.sse) {
      this.sse = true;
      res.writeHead(200, SSE_HEADERS);
      if (this.options.method === 'subscriptions/listen' && this.options.keepAliveMs > 0) {
        this.keepAlive = setInterval(() => this.write(': keep-alive\n\n'), this.options.keepAliveMs);
        this.keepAlive.unref();
      }
    }
    this.write(framed('event: message\ndata: ', wireOf(message), '\n\n'));
  }

  private write(text: Wire): void {
    writeOrCut(this.options.res, text, this.options.slowReaderBytes, (buffered) => this.options.onSlowReader(buffered));
  }

  private end(): void {
    if (this.over) return;
    this.over = true;
    clearInterval(this.keepAlive);
    this.options.onEnd();
    this.onclose?.();
  }
}
