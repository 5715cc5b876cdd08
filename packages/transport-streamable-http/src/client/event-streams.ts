import type { IncomingMessage } from 'node:http';
import { isNotDelivered, type Logger, type RequestId } from '@mcproxy/core';
import { readEvents } from './read-body.js';
import { SseParser, UpstreamTooLargeError, type SseEvent } from './sse-parser.js';

/** The wait before reconnection attempt `n` (from 0) when the server named none. */
const backoff = (n: number): number => Math.min(250 * 2 ** n, 5000);
/** A stream that stayed open this long made progress, even with nothing on it. */
const STEADY_MS = 2000;

/** What a link lends the stream reader. */
export interface StreamHost {
  /** Origin and path, for errors. */
  where: string;
  log: Logger;
  /** The largest event taken (limits.upstreamMessageBytes). */
  maxEventBytes: number;
  /** Is the link closing? Then nothing is resumed. */
  closed(): boolean;
  /** A GET for an event stream (resuming after `lastEventId` when given); undefined when the server has none (405). */
  open(lastEventId: string | undefined): Promise<IncomingMessage | undefined>;
  /** Waits, or less if the link closes meanwhile. */
  pause(ms: number): Promise<void>;
  /** Hands on an event's message and returns it (undefined for events that carry none). */
  deliver(event: SseEvent, related: RequestId | undefined): unknown;
}

/** What to do with one stream: whose messages they are, when it is over, how hard to try. */
export interface Reading {
  /** Our request whose stream this is; absent for the stream of server messages. */
  related?: RequestId;
  /** Called with each message delivered. */
  seen(message: unknown): void;
  /** Is anything still to come? */
  more(): boolean;
  /** Reconnection attempts without progress before giving up. */
  tries: number;
  /** Called with each response read, the first and each resumed one. */
  reading?(res: IncomingMessage): void;
}

/**
 * Reads an event stream (`first`, or a fresh GET when absent) and, while
 * `more()` says something is still to come, reconnects with GET and the
 * last event id after the server's `retry` (or a backoff). A 405 on GET
 * ends a standalone stream quietly; a POST's stream cannot do without
 * resumption, so there, as after `tries` attempts without progress, it throws.
 * A stream cut off (not ended) is resumed at once when the server named no
 * `retry`: a middlebox's cut costs nothing, and an upstream that died is
 * found out in one refused connection, which ends the attempts (as does an
 * event over the size limit: resuming would only replay it).
 */
export async function readResumable(host: StreamHost, first: IncomingMessage | undefined, { related, seen, more, tries, reading }: Reading): Promise<void> {
  const what = related === undefined ? 'the stream of server messages' : `the event stream of request ${JSON.stringify(related)}`;
  let res = first;
  let lastId: string | undefined;
  let retry: number | undefined;
  let failures = 0;
  let cut = false;
  for (;;) {
    if (res !== undefined) {
      let delivered = 0;
      const current = res;
      reading?.(current);
      const parser = new SseParser(
        (event) => {
          delivered++;
          seen(host.deliver(event, related));
          // A resumed stream is the server's replay, which it may keep open after the answer: done with it.
          if (current !== first && !more()) current.destroy();
        },
        lastId,
        host.maxEventBytes,
        true,
      );
      const since = Date.now();
      const dropped = await readEvents(res, parser).then(
        () => undefined,
        (err: Error) => err,
      );
      if (dropped instanceof UpstreamTooLargeError) throw dropped;
      if (dropped !== undefined && !host.closed()) host.log.debug({ err: dropped }, `${what} dropped`);
      cut = dropped !== undefined;
      // Progress: something arrived, or the stream at least stayed up a while (an idle stream cut by a middlebox).
      const progress = delivered > 0 || parser.lastEventId !== lastId || Date.now() - since >= STEADY_MS;
      failures = progress ? 0 : failures + 1;
      lastId = parser.lastEventId;
      retry = parser.retry ?? retry;
    }
    if (host.closed() || !more()) return;
    if (related !== undefined && lastId === undefined) throw new Error(`${host.where}: ${what} ended before the answer and cannot be resumed (no event id)`);
    if (failures >= tries) throw new Error(`${host.where}: gave up on ${what} after ${failures} attempts`);
    const wait = failures === 0 ? (retry ?? (cut ? 0 : backoff(0))) : Math.max(retry ?? 0, backoff(failures));
    if ((res !== undefined || failures > 0) && wait > 0) await host.pause(wait);
    if (host.closed()) return;
    let unreachable: unknown;
    const next = await host.open(lastId).then(
      (r) => r ?? ('none' as const),
      (err: unknown) => {
        if (isNotDelivered(err)) unreachable = err;
        else if (!host.closed()) host.log.debug({ err }, `could not open ${what}`);
        return 'failed' as const;
      },
    );
    // Nothing listens (or the host is gone): no point in trying again, and the request's answer is lost.
    if (unreachable !== undefined) throw new Error(`${host.where}: ${what} cannot be resumed: ${(unreachable as Error).message}`, { cause: unreachable });
    if (next === 'none') {
      if (related === undefined) return;
      throw new Error(`${host.where}: ${what} ended before the answer, and the server has no GET stream to resume it on`);
    }
    if (next === 'failed') failures++;
    res = next === 'failed' ? undefined : next;
  }
}
