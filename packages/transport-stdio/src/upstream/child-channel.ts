import type { ChildProcess } from 'node:child_process';
import {
  limitReply,
  NotDeliveredError,
  throttledWarn,
  toResponse,
  type Channel,
  type CloseInfo,
  type LimitReporter,
  type Logger,
  type Message,
  type MessageExtra,
  type RequestId,
} from '@mcproxy/core';
import { terminate } from './child-registry.js';
import { clip, readJsonLines, writeJsonLine, type JsonLineReader } from '../lines/json-lines.js';
import { LineSplitter } from '../lines/line-splitter.js';
import { linesPerSecond } from './log-throttle.js';
import { answeredId } from './oversize-answer.js';

/** Longer stderr lines are dropped: stderr is for people, and a log entry should stay readable. */
const MAX_STDERR_LINE_BYTES = 64 * 1024;
/** A child that floods stderr is logged this many lines a second, then counted. */
const STDERR_LINES_PER_SECOND = 100;

/** How much of the last stderr line goes into the close reason: enough for "Error: missing API key". */
const LAST_STDERR_CHARS = 512;

export interface ChildChannelOptions {
  /** The upstream's name, for errors. */
  name: string;
  /** Already bound to the upstream. */
  log: Logger;
  /** The longest line read from the child's stdout (`limits.upstreamMessageBytes` unless overridden). */
  maxLineBytes: number;
  reporter: LimitReporter;
  graceMs: number;
}

type Exit = { code: number | null; signal: NodeJS.Signals | null };

/**
 * The channel to one upstream child process: messages are lines on its
 * stdin/stdout, its stderr goes to our log line by line (never to our
 * stdout, which may carry MCP), and its exit closes the channel, once, with
 * a `CloseInfo` that says how it ended and what it last said on stderr.
 */
export class ChildChannel implements Channel {
  onmessage?: ((message: Message, extra?: MessageExtra) => void) | undefined;
  onclose?: ((info?: CloseInfo) => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  private reader: JsonLineReader | undefined;
  private stopping = false;
  private done = false;
  private exit: Exit | undefined;
  private lastStderr: string | undefined;
  /** The request the over-long line being skipped answers, already answered from the line's first bytes. */
  private answeredEarly: RequestId | undefined;

  constructor(
    readonly child: ChildProcess,
    private readonly opts: ChildChannelOptions,
  ) {
    const { log } = opts;
    // Listen from the first moment: a child that fails at once says why on stderr.
    this.pipeStderr();
    // A stream or process 'error' without a listener would crash the proxy; a dead child is not news.
    child.stdin?.on(
      'error',
      this.guard((err: NodeJS.ErrnoException) => this.onStdinError(err)),
    );
    child.stdout?.on('error', (err) => log.debug({ err }, 'upstream stdout failed'));
    child.stderr?.on('error', (err) => log.debug({ err }, 'upstream stderr failed'));
    child.on(
      'error',
      this.guard((err: Error) => this.onerror?.(err)),
    );
    child.once(
      'exit',
      this.guard((code: number | null, signal: NodeJS.Signals | null) => this.onExit(code, signal)),
    );
    child.once(
      'close',
      this.guard(() => this.finish()),
    );
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async start(): Promise<void> {
    if (this.reader !== undefined) throw new Error(`upstream "${this.opts.name}" is already started`);
    if (this.exit !== undefined) throw new Error(this.closeInfo().reason);
    const stdout = this.child.stdout;
    if (stdout === null) throw new Error('the process has no stdout');
    const { log, reporter, maxLineBytes, name } = this.opts;
    const badLine = throttledWarn(log, 'upstream wrote a line to stdout that is not JSON');
    this.reader = readJsonLines(stdout, maxLineBytes, {
      value: (value) => this.onmessage?.(value as Message),
      // Usually stray logging written to stdout by mistake: worth a warning, not an answer.
      bad: (reason, line) => badLine({ line: clip(line), reason }),
      // Reported when the line passes the limit, as it may never end; a line that opens with its id
      // is answered then too, one with its id last (the SDK's order) once its end shows it.
      overflow: (head) => {
        const id = answeredId({ head, tail: '' });
        reporter.hit('upstreamMessageBytes', maxLineBytes, { upstream: name, ...(id === undefined ? {} : { id }) });
        this.answeredEarly = id;
        this.answerOversize(id, `more than ${maxLineBytes} bytes`);
      },
      oversize: (bytes, edges) => {
        const early = this.answeredEarly;
        this.answeredEarly = undefined;
        const id = early ?? answeredId(edges);
        log.debug({ bytes, id }, 'skipped an over-long line from the upstream');
        if (early === undefined) this.answerOversize(id, `${bytes} bytes`);
      },
      failed: (err) => log.error({ err }, 'handling a message from the upstream failed'),
    });
  }

  send(message: Message): Promise<void> {
    const stdin = this.child.stdin;
    if (this.exit !== undefined || this.done || this.stopping || stdin === null || stdin.destroyed || stdin.writableEnded) {
      // Nothing was written: core may safely send it again on a fresh link.
      return Promise.reject(this.notDelivered());
    }
    return writeJsonLine(stdin, message).catch((err: unknown) => {
      // EPIPE: no one reads the pipe any more, so not one whole line of it arrived.
      const code = (err as NodeJS.ErrnoException | undefined)?.code;
      if (code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || this.exit !== undefined) throw this.notDelivered();
      throw err;
    });
  }

  /** Stops the child (stdin closed, then SIGTERM, then SIGKILL) and resolves once it is gone. */
  async close(): Promise<void> {
    if (this.done) return;
    this.stopping = true;
    const closed = new Promise<void>((resolve) => this.child.once('close', () => resolve()));
    await terminate(this.child, this.opts.graceMs);
    if (!this.done) await closed;
  }

  /**
   * EPIPE while the child runs: it closed its stdin and can never hear us
   * again. Stopping it closes the link, and core opens a fresh one.
   */
  private onStdinError(err: NodeJS.ErrnoException): void {
    if (err.code !== 'EPIPE' || this.stopping || this.exit !== undefined) {
      this.opts.log.debug({ err }, 'upstream stdin failed');
      return;
    }
    this.opts.log.warn({ err }, 'upstream closed its stdin while running; stopping it');
    void this.close();
  }

  /**
   * Answers request `id` with the limit, for an over-long line whose edges
   * show it answered that request; without an id the request waits for its
   * timeout (or cancellation) like any request left unanswered.
   */
  private answerOversize(id: RequestId | undefined, size: string): void {
    if (id === undefined) return;
    const { name, maxLineBytes } = this.opts;
    this.onmessage?.(toResponse(id, limitReply('upstreamMessageBytes', maxLineBytes, `upstream "${name}" answered with ${size}`, { upstream: name })));
  }

  private notDelivered(): NotDeliveredError {
    const info = this.exit === undefined ? undefined : this.closeInfo();
    const why = info?.reason ?? `upstream "${this.opts.name}" is ${this.stopping ? 'stopping' : 'not running'}`;
    return new NotDeliveredError(why, info?.data);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exit = { code, signal };
    const how = describeExit(this.exit);
    if (this.stopping) this.opts.log.info({ code, signal }, `upstream process stopped (${how})`);
    else this.opts.log.warn({ code, signal }, `upstream process exited by itself (${how})`);
    // 'close' waits for the pipes, which a grandchild may hold open forever: don't wait long.
    setTimeout(() => {
      if (this.done) return;
      this.child.stdout?.destroy();
      this.child.stderr?.destroy();
      this.child.stdin?.destroy();
    }, this.opts.graceMs).unref();
  }

  /** Runs once, on 'close': every line the child wrote, stderr included, has been read by then. */
  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.reader?.stop();
    this.onclose?.(this.closeInfo());
  }

  /** Why the channel closed: how the child ended, and its last stderr line (often the error). */
  private closeInfo(): CloseInfo {
    const exit = this.exit ?? { code: this.child.exitCode, signal: this.child.signalCode };
    const stopped = this.stopping ? ' after the proxy stopped it' : '';
    const said = this.lastStderr === undefined ? '' : `; last stderr line: ${JSON.stringify(this.lastStderr)}`;
    return {
      reason: `upstream "${this.opts.name}" ${describeExit(exit)}${stopped}${said}`,
      data: { exitCode: exit.code, signal: exit.signal, stderr: this.lastStderr ?? null },
    };
  }

  private pipeStderr(): void {
    const stderr = this.child.stderr;
    if (stderr === null) return;
    const log = this.opts.log;
    const logged = linesPerSecond(
      STDERR_LINES_PER_SECOND,
      (text) => log.info({ stderr: text }, 'upstream stderr'),
      (count) => log.warn({ skipped: count }, `upstream wrote ${count} more stderr lines within a second; not logged`),
    );
    const said = (text: string): void => {
      logged.line(text);
      if (text.trim() !== '') this.lastStderr = clip(text, LAST_STDERR_CHARS);
    };
    const splitter = new LineSplitter(MAX_STDERR_LINE_BYTES, {
      line: said,
      oversize: (bytes) => log.info({ stderrBytes: bytes }, 'upstream wrote an over-long stderr line; dropped'),
    });
    stderr.on(
      'data',
      this.guard((chunk: Buffer | string) => splitter.push(chunk)),
    );
    stderr.once(
      'end',
      this.guard(() => {
        const rest = splitter.rest();
        if (rest !== undefined) said(rest);
        logged.flush();
      }),
    );
  }

  /** Wraps a listener so that nothing it throws escapes into the emitter, where it would crash the proxy. */
  private guard<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
    return (...args) => {
      try {
        fn(...args);
      } catch (err) {
        this.opts.log.error({ err }, 'a listener on the upstream process failed');
      }
    };
  }
}

function describeExit({ code, signal }: Exit): string {
  if (signal !== null) return `was killed by ${signal}`;
  return code === null ? 'ended' : `exited with code ${code}`;
}
