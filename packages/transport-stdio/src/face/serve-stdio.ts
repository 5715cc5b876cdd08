import process from 'node:process';
import type { Readable, Writable } from 'node:stream';
import {
  JSONRPCErrorCode,
  LimitReporter,
  limitText,
  resolveLimits,
  throttledWarn,
  type Channel,
  type CloseInfo,
  type Limits,
  type Logger,
  type Message,
  type MessageExtra,
  type Proxy,
  type Session,
} from '@mcproxy/core';
import { clip, readJsonLines, writeJsonLine, type JsonLineReader } from '../lines/json-lines.js';
import { SlowReaderGuard } from './slow-reader.js';

export interface StdioServerOptions {
  /** Where requests come from; `process.stdin` by default. */
  stdin?: Readable;
  /** Where answers go; `process.stdout` by default. Nothing else may write to it. */
  stdout?: Writable;
  /** Defaults to the proxy's logger. Never give it a logger that writes to `stdout`. */
  log?: Logger;
  /** The proxy's limits; this face reads `clientMessageBytes` and `slowReaderBytes`. Defaults: `resolveLimits()`. */
  limits?: Partial<Limits>;
  /** Counts and logs limit hits; by default one of its own on `log`. */
  limitReporter?: LimitReporter;
  /** The longest line read from `stdin` (longer ones are answered with a parse error); overrides `limits.clientMessageBytes`. */
  maxLineBytes?: number;
}

interface SessionChannelOptions {
  log: Logger;
  maxLineBytes: number;
  reporter: LimitReporter;
  slowReaderBytes: number;
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
  onclose?: ((info?: CloseInfo) => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;
  private reader: JsonLineReader | undefined;
  private done = false;
  private readonly log: Logger;
  private readonly guard: SlowReaderGuard;
  private readonly warnBadLine: (fields: Record<string, unknown>) => void;

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
    private readonly opts: SessionChannelOptions,
  ) {
    this.log = opts.log;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.guard = new SlowReaderGuard(output, opts.slowReaderBytes, opts.reporter);
    this.warnBadLine = throttledWarn(opts.log, 'a line on stdin is not JSON');
  }

  async start(): Promise<void> {
    if (this.reader !== undefined) throw new Error('the stdio session is already started');
    const { maxLineBytes, reporter } = this.opts;
    this.reader = readJsonLines(this.input, maxLineBytes, {
      // Core answers whatever is not a JSON-RPC message, batches included.
      value: (value) => this.onmessage?.(value as Message),
      bad: (reason, line) => this.answerParseError(reason, line),
      oversize: (bytes) => {
        reporter.hit('clientMessageBytes', maxLineBytes, { bytes });
        this.answerError(
          JSONRPCErrorCode.ParseError,
          `Parse error: a line of ${bytes} bytes is longer than the limit of ${maxLineBytes} (${limitText('clientMessageBytes', maxLineBytes)})`,
        );
      },
      failed: (err) => this.log.error({ err }, 'handling a message from the client failed'),
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
    const verdict = this.guard.admit(message);
    if (verdict === 'drop') return Promise.resolve();
    if (verdict === 'stuck') {
      const reason = `the stdio client stopped reading: ${this.guard.describe()}`;
      this.log.warn({ queuedBytes: this.guard.backlog() }, `${reason}; closing the session`);
      void this.close({ reason, data: { limit: 'slowReaderBytes', value: this.opts.slowReaderBytes } });
      return Promise.reject(new Error('the stdio client stopped reading; the session is closed'));
    }
    const before = this.output.writableLength;
    return this.guard.track(writeJsonLine(this.output, message), before);
  }

  async close(info?: CloseInfo): Promise<void> {
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
    this.onclose?.(info);
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

  private answerParseError(reason: string, line: string): void {
    this.warnBadLine({ line: clip(line) });
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
  const limits = resolveLimits(options.limits);
  const maxLineBytes = options.maxLineBytes ?? limits.clientMessageBytes;
  const reporter = options.limitReporter ?? new LimitReporter(log);
  const channel = new StdioSessionChannel(options.stdin ?? process.stdin, options.stdout ?? process.stdout, {
    log,
    maxLineBytes,
    reporter,
    slowReaderBytes: limits.slowReaderBytes,
  });
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
