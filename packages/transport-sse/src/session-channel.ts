import type { ServerResponse } from 'node:http';
import type { Channel, Logger, Message, MessageExtra, Session } from '@mcproxy/core';
import { logId } from '@mcproxy/core';
import { framed, wireOf, type Wire } from '@mcproxy/large-json';
import { writeOrCut } from '@mcproxy/transport-streamable-http';

export interface SseSessionOptions {
  /** Core's session id, and the `sessionId` the client puts on its POSTs. */
  id: string;
  /** The GET response that carries the stream. */
  res: ServerResponse;
  /** What the `endpoint` event tells the client: where to POST, session id included. */
  endpoint: string;
  /** Write an SSE comment this often (ms) so idle connections are not cut by intermediaries; 0: never. */
  pingIntervalMs: number;
  /** Called once when the stream ends, whoever ended it. */
  onEnd(): void;
  /** Bytes written and not yet taken by the client; past this the stream (and with it the session) is cut. */
  slowReaderBytes: number;
  /** The stream was cut for `slowReaderBytes`, with this many bytes waiting. */
  onSlowReader(buffered: number): void;
  log: Logger;
}

/**
 * One legacy SSE session as core sees it. The server writes to the GET
 * response this channel owns; what the client POSTs is handed to
 * `receive` by the handler. The stream ending (the client went away, or
 * `close`) is the session ending: core hears it through `onclose` and
 * cancels what the session had in flight upstream. Written on `node:http`
 * rather than on the SDK's `SSEServerTransport` (see the README).
 */
export class SseSessionChannel implements Channel {
  onmessage?: ((message: Message, extra?: MessageExtra) => void) | undefined;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  /** The proxy's session on this channel, once accepted. */
  core: Session | undefined;
  private ended = false;
  private ping: NodeJS.Timeout | undefined;

  constructor(private readonly options: SseSessionOptions) {
    options.res.once('close', () => this.finish());
    // A write to a client that just went away errs; the 'close' that follows ends the session.
    options.res.on('error', (err) => {
      options.log.debug({ err, session: logId(options.id) }, 'SSE stream failed');
      this.onerror?.(err);
    });
  }

  get sessionId(): string {
    return this.options.id;
  }

  async start(): Promise<void> {
    // The client may have gone while core was accepting the session.
    if (this.ended) return;
    const { res, endpoint, pingIntervalMs } = this.options;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // nginx buffers responses by default, which would hold events back.
      'X-Accel-Buffering': 'no',
    });
    this.event('endpoint', endpoint);
    if (pingIntervalMs > 0) {
      this.ping = setInterval(() => this.write(': ping\n\n'), pingIntervalMs);
      this.ping.unref();
    }
  }

  async send(message: Message): Promise<void> {
    if (this.ended) throw new Error(`session ${this.options.id} is closed: its SSE stream has ended`);
    // JSON.stringify escapes CR and LF, so one message is always one data line.
    // A message carrying large parts as their bytes goes out as pieces, never joined.
    this.write(framed('event: message\ndata: ', wireOf(message), '\n\n'));
  }

  /** A message the client POSTed. Anything that is not JSON-RPC is core's to answer (-32600). */
  receive(message: unknown): void {
    this.onmessage?.(message as Message);
  }

  async close(): Promise<void> {
    if (this.ended) return;
    this.options.res.end();
    this.finish();
  }

  /** Ends the session from our side: core answers what the client still waits for, then the stream ends. */
  async shutdown(reason: string): Promise<void> {
    if (this.core !== undefined) await this.core.peer.close(reason);
    else await this.close();
  }

  private event(name: string, data: string): void {
    this.write(`event: ${name}\ndata: ${data}\n\n`);
  }

  /**
   * The legacy transport has no resumption: a client that stops reading
   * loses its session rather than the proxy its memory (the stream's
   * 'close' ends the session; core answers what was in flight).
   */
  private write(text: Wire): void {
    const { res, slowReaderBytes, onSlowReader } = this.options;
    writeOrCut(res, text, slowReaderBytes, onSlowReader);
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.ping);
    this.options.onEnd();
    this.onclose?.();
  }
}
