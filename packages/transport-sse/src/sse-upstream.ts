import { SSEClientTransport, SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { ConfigError, isRequest, silentLogger, type Channel, type Logger, type Message, type MessageExtra, type RequestId } from '@mcproxy/core';
import { fetchWithHops, parseUpstreamUrl } from '@mcproxy/transport-streamable-http';
import { describe } from './describe-error.js';

export interface SseUpstreamOptions {
  /** The upstream's SSE endpoint, e.g. `http://127.0.0.1:3001/sse`. */
  url: string;
  /** Sent with the GET and with every POST (e.g. `Authorization`). Never logged. */
  headers?: Record<string, string>;
  /** How long to wait for the stream and its `endpoint` event before giving up. Default 30000 ms. */
  connectTimeoutMs?: number;
  log?: Logger;
}

interface SseChannelOptions {
  url: URL;
  where: string;
  headers: Record<string, string>;
  connectTimeoutMs: number;
  log: Logger;
}

/**
 * One link to an upstream over the legacy SSE transport: the SDK's
 * `SSEClientTransport`, plus what a proxy needs around it. `start` fails
 * with a message naming the URL, and never waits longer than the connect
 * timeout. When the stream breaks after that, the link closes: the SDK's
 * EventSource would quietly reconnect and get a new endpoint, that is a new
 * upstream session nobody initialized, so instead core answers what is in
 * flight and opens (and initializes) a fresh link for the next request.
 */
export class SseUpstreamChannel implements Channel {
  onmessage?: ((message: Message, extra?: MessageExtra) => void) | undefined;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  private readonly transport: SSEClientTransport;
  private readonly initializeIds = new Set<RequestId>();
  private started = false;
  private ended = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: SseChannelOptions) {
    // Each POST carries its hop list as a header too, so a proxy behind an
    // intermediary that drops `_meta` still sees a loop.
    this.transport = new SSEClientTransport(options.url, { requestInit: { headers: options.headers }, fetch: fetchWithHops });
    this.transport.onmessage = (message) => this.receive(message as Message);
    this.transport.onerror = (err) => this.failed(err);
    this.transport.onclose = () => {
      if (this.ended) return;
      this.ended = true;
      this.onclose?.();
    };
  }

  async start(): Promise<void> {
    const { where, connectTimeoutMs, log } = this.options;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no endpoint event within ${connectTimeoutMs} ms`)), connectTimeoutMs);
    });
    try {
      await Promise.race([this.transport.start(), timeout]);
      this.started = true;
      log.debug({}, 'SSE stream open');
    } catch (err) {
      // A channel that never started owes nobody an onclose; but its
      // EventSource would keep retrying, so it must be shut.
      this.ended = true;
      await this.transport.close();
      throw new Error(`could not open an SSE stream at ${where}: ${describe(err)}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  async send(message: Message): Promise<void> {
    if (this.closing !== undefined || this.ended) throw new Error(`the link to ${this.options.where} is closed`);
    if (isRequest(message) && message.method === 'initialize') this.initializeIds.add(message.id);
    await this.transport.send(message as JSONRPCMessage);
  }

  close(): Promise<void> {
    // The legacy transport has no DELETE: the server ends the session when the stream goes.
    this.closing ??= this.transport.close();
    return this.closing;
  }

  private failed(err: Error): void {
    if (err instanceof SseError && this.started && this.closing === undefined) {
      this.options.log.warn({ reason: err.message }, 'the SSE stream from the upstream broke: closing the link; the next request opens a new one');
      void this.close();
      return;
    }
    if (this.started) this.onerror?.(err);
  }

  private receive(message: Message): void {
    // As the SDK's Client does: later POSTs say which version was agreed.
    if (!('method' in message) && message.id !== null && this.initializeIds.delete(message.id)) {
      const version = message.result?.protocolVersion;
      if (typeof version === 'string') this.transport.setProtocolVersion(version);
    }
    this.onmessage?.(message);
  }
}

/**
 * A connect function for core's `UpstreamSpec.connect` that reaches an
 * upstream over the legacy HTTP+SSE transport (MCP 2024-11-05): each call
 * opens a new link, whose GET stream (made by core's `start`) is one
 * upstream session. The URL is checked here, once; a bad one throws a
 * `ConfigError`. Logs name the upstream by origin and path only.
 *
 * @example
 * const proxy = createProxy({ upstreams: [{
 *   name: 'old', mode: 'per-session',
 *   connect: sseUpstream({ url: 'http://127.0.0.1:3001/sse', headers: { Authorization: `Bearer ${token}` } }),
 * }] });
 */
export function sseUpstream(options: SseUpstreamOptions): () => Promise<Channel> {
  const { url, where } = parseUpstreamUrl(options.url);
  const connectTimeoutMs = options.connectTimeoutMs ?? 30_000;
  if (!Number.isFinite(connectTimeoutMs) || connectTimeoutMs <= 0) throw new ConfigError(`connectTimeoutMs must be a positive number of milliseconds, not ${connectTimeoutMs}`);
  const headers = { ...options.headers };
  const log = (options.log ?? silentLogger).child({ url: where, transport: 'sse' });

  return async function connectSse() {
    log.debug({}, 'opening a link');
    return new SseUpstreamChannel({ url, where, headers, connectTimeoutMs, log });
  };
}
