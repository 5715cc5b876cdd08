import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { DirectPosts } from './direct-posts.js';
import type { IdleWatch } from './idle.js';
import type { Channel, Message, MessageExtra, SendOptions, Session } from '@mcproxy/core';

/**
 * One downstream session as core sees it: the SDK's server transport behind
 * core's `Channel`. The SDK transport already has the channel's shape; this
 * thin adapter exists for two reasons. The server must learn when a
 * session ends however it ends (DELETE, the proxy closing it), and core
 * takes `onclose` for itself. The SDK hands every message the request's
 * headers, credentials included, which core has no use for and must not log.
 * (Answering what is in flight when we close a session is core's job: close
 * through `core.peer.close()`.)
 */
export class SessionChannel implements Channel {
  onmessage?: ((message: Message, extra?: MessageExtra) => void) | undefined;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  /** The proxy's session on this channel, once accepted. */
  core: Session | undefined;
  /** The hot path: single-message POSTs served without the SDK transport (set once the session exists). */
  direct: DirectPosts | undefined;
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
      this.direct?.close();
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

  /** Not `async`: an answer on the hot path is one promise fewer. What throws comes back as a rejection all the same. */
  send(message: Message, options?: SendOptions): Promise<void> {
    try {
      const direct = this.direct?.send(message, options?.relatedRequestId);
      if (direct !== undefined && direct !== false) return direct;
      return this.transport.send(message as JSONRPCMessage, options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** What the hot path received: straight to core, as the SDK transport would hand it on. */
  deliver(message: Message): void {
    this.receive(message);
  }

  async close(): Promise<void> {
    if (this.ended) return;
    await this.transport.close();
  }

  /** Ends the session from our side: core answers what the client still waits for, then the transport closes. */
  async shutdown(reason: string): Promise<void> {
    if (this.core !== undefined) await this.core.peer.close(reason);
    else await this.close();
  }

  private receive(message: Message): void {
    // Only the message: the SDK's extra carries request headers (credentials).
    this.onmessage?.(message);
  }
}
