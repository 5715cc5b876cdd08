import type { Writable } from 'node:stream';
import type { LimitReporter, Message } from '@mcproxy/core';

/**
 * Notifications a client can lose without losing track of anything: a later
 * progress report supersedes an earlier one, and log lines are for people.
 * Responses, requests, cancellations, list changes and resource updates
 * change what the client knows, so they are never dropped.
 */
const EXPENDABLE = new Set(['notifications/progress', 'notifications/message']);

/** Past this many times `slowReaderBytes` the client is taken for stuck and its session closed. */
export const STUCK_FACTOR = 4;

export type Verdict = 'write' | 'drop' | 'stuck';

/**
 * Keeps what we queue toward a client that does not read bounded. A pipe
 * to a reader that stopped takes 64 KiB and then nothing; Node queues every
 * further write in memory (`writableLength`), so without this an upstream
 * that floods notifications grows the proxy without end. The backlog is what
 * waits behind the message being written now: one answer of 40 MiB to a
 * client that reads it at its own pace is no reason to drop what follows.
 * Past `limit` expendable notifications are dropped; past `STUCK_FACTOR`
 * times `limit` anything else closes the session. Memory stays below about
 * `STUCK_FACTOR × limit` plus one message.
 */
export class SlowReaderGuard {
  /** Sizes of the writes not yet taken by the stream, oldest first (from `head`). */
  private sizes: number[] = [];
  private head = 0;

  constructor(
    private readonly output: Writable,
    private readonly limit: number,
    private readonly reporter: LimitReporter,
  ) {}

  /** Bytes queued behind the write the stream is working on. */
  backlog(): number {
    const current = this.sizes[this.head] ?? 0;
    return Math.max(0, this.output.writableLength - current);
  }

  /** Whether `message` may be written now, dropped, or finds the client stuck. */
  admit(message: Message): Verdict {
    const backlog = this.backlog();
    if (backlog <= this.limit) return 'write';
    const method = 'method' in message && !('id' in message) ? message.method : undefined;
    if (method !== undefined && EXPENDABLE.has(method)) {
      this.reporter.hit('slowReaderBytes', this.limit, { queuedBytes: backlog, dropped: method });
      return 'drop';
    }
    if (backlog <= this.limit * STUCK_FACTOR) return 'write';
    this.reporter.hit('slowReaderBytes', this.limit, { queuedBytes: backlog, closed: true });
    return 'stuck';
  }

  /** Follows a write just handed to the stream, so `backlog` can leave it out while it is under way. */
  track(write: Promise<void>, queuedBefore: number): Promise<void> {
    // The stream counted the line synchronously (0 when it went out at once).
    this.sizes.push(Math.max(0, this.output.writableLength - queuedBefore));
    const taken = (): void => {
      this.head += 1;
      if (this.head === this.sizes.length) {
        this.sizes = [];
        this.head = 0;
      }
    };
    // Writes complete in order, failed ones too.
    write.then(taken, taken);
    return write;
  }

  /** The backlog in words, for the reason a stuck session was closed. */
  describe(): string {
    return `${this.backlog()} bytes wait on stdout, over ${STUCK_FACTOR} × limits.slowReaderBytes (${this.limit})`;
  }
}
