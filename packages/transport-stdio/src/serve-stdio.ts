import process from 'node:process';
import type { Readable, Writable } from 'node:stream';
import { JSONRPCErrorCode, type Channel, type Logger, type Message, type MessageExtra, type Proxy, type Session } from '@mcproxy/core';
import { clip, DEFAULT_MAX_LINE_BYTES, readJsonLines, writeJsonLine, type JsonLineReader } from './json-lines.js';

export interface StdioServerOptions {
  /** Where requests come from; `process.stdin` by default. */
  stdin?: Readable;
  /** Where answers go; `process.stdout` by default. Nothing else may write to it. */
  stdout?: Writable;
  /** Defaults to the proxy's logger. Never give it a logger that writes to `stdout`. */
  log?: Logger;
  /** The longest line read from `stdin`; longer ones are answered with a parse error. */
  maxLineBytes?: number;
}

/** One downstream session served on a pair of streams. */
export interface StdioServer {
  session: Session;
  /** Resolves when the session has closed: `stdin` ended or failed, `stdout` failed, or `close()` was called. */
  closed: Promise<void>;
  /** Closes the session; requests in flight are cancelled upstream. Leaves `stdout` open: the caller owns it. */
  close(): Promise<void>;
}

/**
 * The channel for one stdio session. It answers lines that are not JSON
 * itself (only the wire knows there was a line), and passes every JSON
 * value on so that core's Peer can answer -32600 to what is not JSON-RPC.
 */
class StdioSessionChannel implements Channel {
  onmessage?: ((message: Message, extra?: MessageExtra) => void) | undefined;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;
  private reader: JsonLineReader | undefined;
  private done = false;

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
    private readonly log: Logger,
    private readonly maxLineBytes: number,
  ) {
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  async start(): Promise<void> {
    if (this.reader !== undefined) throw new Error('the stdio session is already started');
    this.reader = readJsonLines(this.input, this.maxLineBytes, {
      // Core answers whatever is not a JSON-RPC message, batches included.
      value: (value) => this.onmessage?.(value as Message),
      bad: (reason, line) => this.answerParseError(reason, line),
    });
    this.input.on('end', this.onEnd);
    this.input.on('close', this.onEnd);
    this.input.on('error', this.onStreamError);
    this.output.on('error', this.onStreamError);
    // 'end' fires once: a stream that is already over will never tell us.
    if (this.input.readableEnded || this.input.destroyed) queueMicrotask(this.onEnd);
  }

  send(message: Message): Promise<void> {
    if (this.done) return Promise.reject(new Error('the stdio session is closed'));
    return writeJsonLine(this.output, message);
  }

  async close(): Promise<void> {
    if (this.done) return;
    this.done = true;
    const rest = this.reader?.stop();
    if (rest !== undefined && rest.trim() !== '') {
      this.log.warn({ line: clip(rest) }, 'stdin ended in the middle of a line; it was dropped');
    }
    this.input.off('end', this.onEnd);
    this.input.off('close', this.onEnd);
    // The error listeners stay: an EPIPE from a write still under way would otherwise crash the process.
    // A flowing stdin keeps the process alive; pause it unless someone else still reads it.
    if (this.input.listenerCount('data') === 0) this.input.pause();
    this.onclose?.();
    this.resolveClosed();
  }

  private readonly onEnd = (): void => {
    this.log.debug({}, 'stdin ended');
    void this.close();
  };

  private readonly onStreamError = (err: Error): void => {
    if (this.done) {
      this.log.debug({ err }, 'stdio stream failed after the session closed');
      return;
    }
    // EPIPE on stdout means the client is gone: nothing more can be said to it.
    this.onerror?.(err);
    void this.close();
  };

  private answerParseError(reason: string, line: string | undefined): void {
    this.log.warn({ line: line === undefined ? undefined : clip(line) }, 'a line on stdin is not JSON');
    this.answerError(JSONRPCErrorCode.ParseError, reason);
  }

  private answerError(code: number, message: string): void {
    const reply: Message = { jsonrpc: '2.0', id: null, error: { code, message } };
    this.send(reply).catch((err: unknown) => this.log.warn({ err }, 'could not answer a bad message'));
  }
}

/**
 * Serves one downstream session on stdin/stdout, newline-delimited JSON-RPC
 * as the MCP stdio transport frames it. A line that is not JSON is answered
 * with a parse error (-32700, id null); a JSON value that is not a JSON-RPC
 * message is answered -32600 by core. When stdin ends the session closes and
 * `closed` resolves; the caller then decides whether the process exits.
 *
 * @example
 * const server = await serveStdio(proxy, { log });
 * await server.closed;
 * await proxy.close();
 * await reapChildren();
 */
export async function serveStdio(proxy: Proxy, options: StdioServerOptions = {}): Promise<StdioServer> {
  const log = (options.log ?? proxy.log).child({ transport: 'stdio' });
  const channel = new StdioSessionChannel(
    options.stdin ?? process.stdin,
    options.stdout ?? process.stdout,
    log,
    options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
  );
  const session = await proxy.accept(channel);
  return {
    session,
    closed: channel.closed,
    async close() {
      await session.peer.close();
      await channel.closed;
    },
  };
}
