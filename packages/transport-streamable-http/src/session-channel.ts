import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { IdleWatch } from './idle.js';
import { ProxyErrorCode, type Channel, type Message, type MessageExtra, type RequestId, type SendOptions } from '@mcproxy/core';

/**
 * One downstream session as core sees it: the SDK's server transport behind
 * core's `Channel`. The SDK transport already has the channel's shape; this
 * thin adapter exists for three reasons. The server must learn when a
 * session ends however it ends (DELETE, the proxy closing it), and core
 * takes `onclose` for itself. The SDK hands every message the request's
 * headers, credentials included, which core has no use for and must not log.
 * And a session closed from our side answers the requests still in flight,
 * so clients get an error instead of a stream that ends without an answer.
 */
export class SessionChannel implements Channel {
  onmessage?: ((message: Message, extra?: MessageExtra) => void) | undefined;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  private readonly inFlight = new Set<RequestId>();
  private ended = false;

  constructor(
    readonly transport: StreamableHTTPServerTransport,
    /** Closes the session when clients stop talking to it. */
    readonly idle: IdleWatch,
    private readonly onEnd: () => void,
  ) {
    transport.onmessage = (raw) => this.receive(raw as Message);
    transport.onerror = (err) => this.onerror?.(err);
    transport.onclose = () => {
      if (this.ended) return;
      this.ended = true;
      this.onEnd();
      this.onclose?.();
    };
  }

  get sessionId(): string | undefined {
    return this.transport.sessionId;
  }

  start(): Promise<void> {
    return this.transport.start();
  }

  async send(message: Message, options?: SendOptions): Promise<void> {
    if (!('method' in message) && message.id !== null) this.inFlight.delete(message.id);
    await this.transport.send(message as JSONRPCMessage, options);
  }

  async close(): Promise<void> {
    if (this.ended) return;
    const unanswered = [...this.inFlight];
    this.inFlight.clear();
    await Promise.allSettled(unanswered.map((id) => this.transport.send({
      jsonrpc: '2.0', id,
      error: { code: ProxyErrorCode.SessionClosed, message: 'the proxy closed this session before answering' },
    }, { relatedRequestId: id })));
    await this.transport.close();
  }

  private receive(message: Message): void {
    if ('method' in message) {
      if ('id' in message && message.id !== undefined) this.inFlight.add(message.id);
      else if (message.method === 'notifications/cancelled') {
        // A cancelled request is never answered: stop waiting for it.
        const id = message.params?.requestId;
        if (typeof id === 'string' || typeof id === 'number') this.inFlight.delete(id);
      }
    }
    this.onmessage?.(message);
  }
}
