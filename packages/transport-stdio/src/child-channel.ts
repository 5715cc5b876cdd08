import type { ChildProcess } from 'node:child_process';
import type { Channel, Logger, Message, MessageExtra } from '@mcproxy/core';
import { terminate } from './child-registry.js';
import { clip, readJsonLines, writeJsonLine, type JsonLineReader } from './json-lines.js';
import { LineSplitter } from './line-splitter.js';

/** Longer stderr lines are dropped: stderr is for people, and a log entry should stay readable. */
const MAX_STDERR_LINE_BYTES = 64 * 1024;

export interface ChildChannelOptions {
  /** The upstream's name, for errors. */
  name: string;
  /** Already bound to the upstream. */
  log: Logger;
  maxLineBytes: number;
  graceMs: number;
}

/**
 * The channel to one upstream child process: messages are lines on its
 * stdin/stdout, its stderr goes to our log line by line (never to our
 * stdout, which may carry MCP), and its exit closes the channel.
 */
export class ChildChannel implements Channel {
  onmessage?: ((message: Message, extra?: MessageExtra) => void) | undefined;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  private reader: JsonLineReader | undefined;
  private stopping = false;
  private done = false;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(
    readonly child: ChildProcess,
    private readonly opts: ChildChannelOptions,
  ) {
    // Listen from the first moment: a child that fails at once says why on stderr.
    this.pipeStderr();
    child.stdin?.on('error', (err) => this.opts.log.debug({ err }, 'upstream stdin failed'));
    child.on('error', (err) => this.onerror?.(err));
    child.once('exit', (code, signal) => this.onExit(code, signal));
    child.once('close', () => this.finish());
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async start(): Promise<void> {
    if (this.reader !== undefined) throw new Error(`upstream "${this.opts.name}" is already started`);
    if (this.exit !== undefined) throw new Error(`the process exited at once (${describeExit(this.exit.code, this.exit.signal)})`);
    const stdout = this.child.stdout;
    if (stdout === null) throw new Error('the process has no stdout');
    this.reader = readJsonLines(stdout, this.opts.maxLineBytes, {
      value: (value) => this.onmessage?.(value as Message),
      // Usually stray logging written to stdout by mistake: worth a warning, not an answer.
      bad: (reason, line) => this.opts.log.warn({ line: line === undefined ? undefined : clip(line) }, `upstream wrote a bad line to stdout: ${reason}`),
    });
  }

  send(message: Message): Promise<void> {
    const stdin = this.child.stdin;
    if (this.stopping || this.exit !== undefined || stdin === null) {
      return Promise.reject(new Error(`the process of upstream "${this.opts.name}" is not running`));
    }
    return writeJsonLine(stdin, message);
  }

  /** Stops the child (stdin closed, then SIGTERM, then SIGKILL) and resolves once it is gone. */
  async close(): Promise<void> {
    if (this.done) return;
    this.stopping = true;
    const closed = new Promise<void>((resolve) => this.child.once('close', () => resolve()));
    await terminate(this.child, this.opts.graceMs);
    if (!this.done) await closed;
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exit = { code, signal };
    const how = describeExit(code, signal);
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

  /** Runs once, on 'close': every line the child wrote has been read by then. */
  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.reader?.stop();
    this.onclose?.();
  }

  private pipeStderr(): void {
    const stderr = this.child.stderr;
    if (stderr === null) return;
    const log = this.opts.log;
    const splitter = new LineSplitter(MAX_STDERR_LINE_BYTES, {
      line: (text) => log.info({ stderr: text }, 'upstream stderr'),
      oversize: (bytes) => log.info({ stderrBytes: bytes }, 'upstream wrote an over-long stderr line; dropped'),
    });
    stderr.on('data', (chunk: Buffer | string) => splitter.push(chunk));
    stderr.once('end', () => {
      const rest = splitter.rest();
      if (rest !== undefined) log.info({ stderr: rest }, 'upstream stderr');
    });
  }
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `killed by ${signal}` : `exit code ${code ?? 'unknown'}`;
}
