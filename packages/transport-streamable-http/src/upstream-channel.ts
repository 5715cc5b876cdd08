import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { isRequest, type Channel, type Logger, type Message, type MessageExtra, type RequestId, type SendOptions } from '@mcproxy/core';
import { fetchWithHops } from './hops.js';

export interface UpstreamChannelOptions {
  url: URL;
  headers: Record<string, string>;
  /** Bound to the URL's origin and path only: never headers, never the query. */
  log: Logger;
  /** How long `close()` waits for the DELETE that ends the upstream session. */
  closeTimeoutMs: number;
}

/**
 * One link to an upstream over Streamable HTTP: the SDK's client transport,
 * plus what the SDK's `Client` would do around it and core, which forwards
 * raw messages, cannot. It sets `MCP-Protocol-Version` once `initialize` is
 * answered; ends the upstream session with DELETE on close; closes itself
 * when the upstream answers 404 for our session (it forgot it), so core
 * fails what is in flight and opens a fresh link for the next request; and
 * tells core which of our requests a message belongs to when it can.
 *
 * On that last point the SDK's `onmessage` carries no request id. But a
 * request's `onresumptiontoken` callback runs, synchronously, just before
 * `onmessage` for every event with an id on that request's stream. So for
 * upstreams that number their events (those with resumability), the token
 * callback marks the request and the very next message takes the mark.
 * Without event ids there is no mark, and core falls back to its own rule.
 */
export class UpstreamChannel implements Channel {
  onmessage?: ((message: Message, extra?: MessageExtra) => void) | undefined;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  private readonly transport: StreamableHTTPClientTransport;
  private readonly initializeIds = new Set<RequestId>();
  private mark: RequestId | undefined;
  private forgotten = false;
  private closing: Promise<void> | undefined;
  private ended = false;

  constructor(private readonly options: UpstreamChannelOptions) {
    this.transport = new StreamableHTTPClientTransport(options.url, { requestInit: { headers: options.headers }, fetch: fetchWithHops });
    this.transport.onmessage = (message) => this.receive(message as Message);
    this.transport.onerror = (err) => this.onerror?.(err);
    this.transport.onclose = () => {
      if (this.ended) return;
      this.ended = true;
      this.onclose?.();
    };
  }

  get sessionId(): string | undefined {
    return this.transport.sessionId;
  }

  /** The version the upstream agreed to in `initialize`, sent as `MCP-Protocol-Version` from then on. */
  get protocolVersion(): string | undefined {
    return this.transport.protocolVersion;
  }

  start(): Promise<void> {
    return this.transport.start();
  }

  async send(message: Message, _options?: SendOptions): Promise<void> {
    if (this.closing !== undefined) throw new Error('the link to the upstream is closed');
    let onresumptiontoken: ((token: string) => void) | undefined;
    if (isRequest(message)) {
      const { id } = message;
      if (message.method === 'initialize') this.initializeIds.add(id);
      onresumptiontoken = () => this.markFor(id);
    }
    try {
      await this.transport.send(message as JSONRPCMessage, { onresumptiontoken });
    } catch (err) {
      if (err instanceof StreamableHTTPError && err.code === 404 && this.transport.sessionId !== undefined) {
        this.forgotten = true;
        this.options.log.warn({}, 'the upstream no longer knows our session (HTTP 404): closing the link; the next request opens a new one');
        // Closing settles every request in flight on this link, this one included.
        void this.close();
      }
      throw err;
    }
  }

  /**
   * Ends the upstream session (DELETE; a 405 means the server keeps sessions
   * until they expire, which is its right), then stops the transport. A
   * DELETE that does not come back within `closeTimeoutMs` is abandoned.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (!this.forgotten && this.transport.sessionId !== undefined) {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, this.options.closeTimeoutMs);
        });
        const ended = this.transport.terminateSession().catch((err: unknown) => {
          this.options.log.debug({ err }, 'could not end the upstream session');
        });
        await Promise.race([ended, timeout]);
        clearTimeout(timer);
      }
      // Aborts whatever is still open (the DELETE too, if it timed out) and fires onclose.
      await this.transport.close();
    })();
    return this.closing;
  }

  private markFor(id: RequestId): void {
    this.mark = id;
    // The mark is for the message that follows in the same turn; a priming
    // event (no data, no message) must not leave it to a later one.
    queueMicrotask(() => {
      if (this.mark === id) this.mark = undefined;
    });
  }

  private receive(message: Message): void {
    const related = this.mark;
    this.mark = undefined;
    if (!('method' in message) && message.id !== null && this.initializeIds.delete(message.id)) {
      const version = message.result?.protocolVersion;
      if (typeof version === 'string') this.transport.setProtocolVersion(version);
    }
    this.onmessage?.(message, related === undefined ? undefined : { relatedRequestId: related });
  }
}
