import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { isNotDelivered, NotDeliveredError, type Channel, type CloseInfo, type Logger, type Message, type MessageExtra, type SendOptions } from '@mcproxy/core';
import { describe } from './describe-error.js';

/** The two ways to reach an MCP server at a URL. */
export type UrlTransport = 'streamable-http' | 'sse';

export interface AutoChannelOptions {
  where: string;
  log: Logger;
  open: Record<UrlTransport, () => Promise<Channel>>;
  /** What an earlier link to this upstream found; only that one is tried. */
  known: UrlTransport | undefined;
  /** Called when a link has found (or confirmed) its transport, or with undefined when the known one failed. */
  learn(transport: UrlTransport | undefined): void;
}

// Statuses that mean "the right server, but not now or not you": an old
// SSE server would not change them, and falling back would hide the cause.
const NO_FALLBACK = new Set([401, 403, 407, 408, 429]);

/**
 * Is this how a server of the 2024-11-05 era answers a Streamable HTTP POST?
 * The spec's backwards-compatibility rule: a 4xx (typically 400, 404 or 405)
 * to the `initialize` POST means try the old transport.
 */
export function isOldServerAnswer(err: unknown): boolean {
  if (!(err instanceof StreamableHTTPError) || typeof err.code !== 'number') return false;
  return err.code >= 400 && err.code < 500 && !NO_FALLBACK.has(err.code);
}

/**
 * A link whose transport is chosen by its first message (core's
 * `initialize`): POSTed as Streamable HTTP, and on an old server's 4xx sent,
 * the same message, over a fresh SSE stream instead. A refused POST carried
 * nothing to the server, so nothing is duplicated; later messages wait
 * for the choice, so nothing overtakes the first. A failure closes the
 * link, saying why, and rejects that send with a message naming the URL: a
 * `NotDeliveredError` when neither attempt reached the server (core may then
 * try once more on a fresh link). A close of the chosen wire passes its
 * `CloseInfo` on.
 */
export class AutoChannel implements Channel {
  onmessage?: ((message: Message, extra?: MessageExtra) => void) | undefined;
  onclose?: ((info?: CloseInfo) => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  private inner: Channel | undefined;
  private chosen: Promise<Channel> | undefined;
  private ended = false;

  constructor(private readonly options: AutoChannelOptions) {}

  get sessionId(): string | undefined {
    return this.inner?.sessionId;
  }

  /** As the chosen transport says (streamable HTTP relates messages to requests; HTTP+SSE does not); false before the choice. */
  get relatesMessages(): boolean {
    return this.inner?.relatesMessages === true;
  }

  /** Nothing to open yet: which transport to open is what the first message finds out. */
  async start(): Promise<void> {}

  async send(message: Message, options?: SendOptions): Promise<void> {
    if (this.ended) throw new Error(`the link to ${this.options.where} is closed`);
    if (this.chosen === undefined) {
      this.chosen = this.choose(message, options);
      await this.chosen;
      return;
    }
    const inner = await this.chosen;
    await inner.send(message, options);
  }

  async close(info?: CloseInfo): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    const inner = this.inner ?? (await this.chosen?.catch(() => undefined));
    if (inner !== undefined) {
      inner.onclose = undefined;
      await inner.close().catch((err: unknown) => this.options.log.debug({ err }, 'closing the link failed'));
    }
    this.onclose?.(info);
  }

  private async choose(first: Message, options: SendOptions | undefined): Promise<Channel> {
    const { known, log, where } = this.options;
    let channel: Channel;
    try {
      if (known !== 'sse') {
        try {
          channel = await this.attempt('streamable-http', first, options);
        } catch (err) {
          if (known !== undefined || !isOldServerAnswer(err)) throw err;
          const status = (err as StreamableHTTPError).code;
          log.debug({ status }, 'the Streamable HTTP POST was refused: trying the HTTP+SSE transport');
          channel = await this.attempt('sse', first, options).catch((sseErr: unknown) => {
            // Both answers matter to whoever reads this: the URL may simply be wrong.
            throw new Error(`HTTP ${status} to the Streamable HTTP POST, and ${describe(sseErr)}`, { cause: sseErr });
          });
        }
      } else {
        channel = await this.attempt('sse', first, options);
      }
    } catch (err) {
      this.options.learn(undefined);
      const message = `could not connect to the MCP server at ${where}: ${describe(err)}`;
      const data = dataOf(err);
      // Closed before the rejection, as a transport that finds its wire gone does: core waits for
      // the verdict of a send under way, and a retry then opens a fresh link instead of this one.
      if (!this.ended) {
        this.ended = true;
        this.onclose?.({ reason: message, data });
      }
      if (undelivered(err)) throw Object.assign(new NotDeliveredError(message, data), { cause: err });
      throw Object.assign(new Error(message, { cause: err }), data === undefined ? {} : { data });
    }
    return channel;
  }

  /** Opens `transport`, sends `first` on it, and makes it this link's wire if that worked. */
  private async attempt(transport: UrlTransport, first: Message, options: SendOptions | undefined): Promise<Channel> {
    const channel = await this.options.open[transport]();
    // Answers can come before the send resolves (on a stream), so they are passed on from the start.
    channel.onmessage = (message, extra) => this.onmessage?.(message, extra);
    channel.onerror = (err) => this.options.log.debug({ err }, `${transport} error while choosing a transport`);
    try {
      await channel.start();
      await channel.send(first, options);
    } catch (err) {
      channel.onmessage = undefined;
      await channel.close().catch(() => undefined);
      throw err;
    }
    this.inner = channel;
    channel.onerror = (err) => this.onerror?.(err);
    channel.onclose = (info) => void this.close(info);
    if (this.options.known === undefined)
      this.options.log.info({ transport }, `the upstream speaks ${transport === 'sse' ? 'the HTTP+SSE transport (2024-11-05)' : 'Streamable HTTP'}`);
    this.options.learn(transport);
    return channel;
  }
}

/** Did nothing reach the server? The error or one of its causes says so (an SSE attempt wraps its own). */
function undelivered(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) if (isNotDelivered(e)) return true;
  return false;
}

/** The `data` (an HTTP status, say) the error carries, for core's error data. */
function dataOf(err: unknown): Record<string, unknown> | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const data = (e as { data?: unknown }).data;
    if (typeof data === 'object' && data !== null) return data as Record<string, unknown>;
  }
  return undefined;
}
