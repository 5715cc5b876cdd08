import type { Message, RequestId } from './jsonrpc.js';

export interface SendOptions {
  /** The incoming request this message belongs to, so a transport can put it on that request's stream. */
  relatedRequestId?: RequestId;
}

/**
 * Why a channel closed, when its transport knows: a child's exit code or
 * signal and last stderr line, an HTTP status. Core puts `reason` in the
 * errors it answers for requests left in flight, and `data` in their `data`.
 */
export interface CloseInfo {
  reason: string;
  data?: Record<string, unknown>;
}

export interface MessageExtra {
  /** Set by transports that know which of our requests an incoming message belongs to. */
  relatedRequestId?: RequestId;
  [key: string]: unknown;
}

/** One end of a message wire: the same shape as the MCP SDK's `Transport`, so an SDK transport is a channel as it is. Core never sees bytes. */
export interface Channel {
  start(): Promise<void>;
  send(message: Message, options?: SendOptions): Promise<void>;
  close(): Promise<void>;
  onmessage?: ((message: Message, extra?: MessageExtra) => void) | undefined;
  /** Called once when the wire is gone; transports that know why pass a `CloseInfo`. */
  onclose?: ((info?: CloseInfo) => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  readonly sessionId?: string | undefined;
  /**
   * True when the wire says which of our requests every incoming message belongs to
   * (`MessageExtra.relatedRequestId`), as streamable HTTP does with a request's own response
   * stream. Absent (stdio, HTTP+SSE): core cannot attribute a request the upstream starts while
   * several calls are in flight, so the bridge gives each call a link of its own.
   */
  readonly relatesMessages?: boolean;
}

class MemoryChannel implements Channel {
  peer!: MemoryChannel;
  onmessage?: ((message: Message, extra?: MessageExtra) => void) | undefined;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  closed = false;
  private started = false;
  private queue: Array<[Message, MessageExtra | undefined]> = [];

  async start(): Promise<void> {
    this.started = true;
    const queued = this.queue;
    this.queue = [];
    for (const [m, e] of queued) this.onmessage?.(m, e);
  }

  async send(message: Message, options?: SendOptions): Promise<void> {
    if (this.closed) throw new Error('channel is closed');
    // A copy, as a real wire would make: no sharing of objects across the pair.
    const copy = JSON.parse(JSON.stringify(message)) as Message;
    const extra = options?.relatedRequestId === undefined ? undefined : { relatedRequestId: options.relatedRequestId };
    queueMicrotask(() => this.peer.deliver(copy, extra));
  }

  private deliver(message: Message, extra: MessageExtra | undefined): void {
    if (this.closed) return;
    if (!this.started) this.queue.push([message, extra]);
    else this.onmessage?.(message, extra);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onclose?.();
    await this.peer.close();
  }
}

/**
 * Two linked in-memory channels: what one sends, the other receives, copied and on a later
 * microtask. Closing either closes both. For tests and for wiring chains inside one process.
 */
export function createChannelPair(): [Channel, Channel] {
  const a = new MemoryChannel();
  const b = new MemoryChannel();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
