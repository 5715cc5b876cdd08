import { wireOf } from '@mcproxy/large-json';
import { defaultLimits, logId, type EventLog, type Logger, type Message, type SessionEventLog } from '@mcproxy/core';

export interface EventStoreLimits {
  /** Events kept per SSE stream; older ones are dropped first. */
  eventsPerStream: number;
  /** Streams kept per session; the one written to least recently is dropped first. */
  streams: number;
}

export const defaultEventStoreLimits: EventStoreLimits = { eventsPerStream: 200, streams: 32 };

interface Stored {
  seq: number;
  /**
   * The message as JSON (a string is a fraction of the object's size), or,
   * when it carries large parts still as their bytes, the message itself
   * (stringifying it would copy them). Its size in bytes is what the budget counts.
   */
  kept: string | Message;
  size: number;
  dropped: boolean;
  stream: Stream;
}

interface Stream {
  events: Stored[];
  /** The newest event dropped for a cap: a resume from before it has lost messages. */
  droppedUpTo: number;
}

/**
 * The bytes of events kept for resumption over every session of one HTTP
 * face (`limits.eventStoreBytes`): one queue in the order events were
 * stored, so the oldest event of the whole face goes first, whichever
 * session it belongs to. Sizes are the events' JSON lengths.
 */
export class EventBudget {
  private queue: Stored[] = [];
  private head = 0;
  private live = 0;
  /** Bytes kept now. */
  bytes = 0;
  /** Events dropped to stay within `maxBytes`. */
  evicted = 0;

  constructor(readonly maxBytes: number = defaultLimits.eventStoreBytes) {}

  /** Counts a new event, dropping the oldest kept ones while the total is over. */
  add(event: Stored): void {
    this.queue.push(event);
    this.live++;
    this.bytes += event.size;
    while (this.bytes > this.maxBytes && this.head < this.queue.length) {
      const oldest = this.queue[this.head++];
      if (oldest === undefined || oldest.dropped) continue;
      // Events of one stream enter in order, so the oldest is its first one.
      const first = oldest.stream.events[0] === oldest ? oldest.stream.events.shift() : undefined;
      if (first !== undefined) oldest.stream.droppedUpTo = Math.max(oldest.stream.droppedUpTo, first.seq);
      this.evicted++;
      this.drop(oldest);
    }
    // Dropped entries (per-stream caps, closed sessions) are skipped lazily; compact before they pile up.
    if (this.head > 1024 && this.head * 2 > this.queue.length) this.compact();
    else if (this.queue.length - this.head > 2 * this.live + 1024) this.compact();
  }

  /** Forgets an event (already out of its stream). */
  drop(event: Stored): void {
    if (event.dropped) return;
    event.dropped = true;
    this.live--;
    this.bytes -= event.size;
  }

  private compact(): void {
    this.queue = this.queue.slice(this.head).filter((e) => !e.dropped);
    this.head = 0;
  }
}

/** A log that can take back events another process wrote, under their own ids (a session taken over from another replica). */
export interface RestorableLog {
  /** Keeps `message` under `eventId` (`<stream>#<seq>`); ids must come in rising order, anything not newer than the last is ignored. */
  restore(eventId: string, message: Message): Promise<void>;
}

// Stream ids are UUIDs or the SDK's `_GET_stream`; neither contains `#`, so
// `<streamId>#<seq>` always splits back into both.
const SEPARATOR = '#';

function parseEventId(eventId: string): { streamId: string; seq: number } | undefined {
  const at = eventId.lastIndexOf(SEPARATOR);
  if (at <= 0) return undefined;
  const seq = Number(eventId.slice(at + 1));
  return Number.isSafeInteger(seq) ? { streamId: eventId.slice(0, at), seq } : undefined;
}

/**
 * One session's memory of what it sent on each SSE stream, so a client whose
 * stream dropped can come back with `Last-Event-ID` and get the rest (the
 * SDK also only sends priming events, which make a POST stream resumable,
 * when a store is present). Bounded three ways: events per stream, streams
 * per session, and bytes over every session sharing `budget` (one per HTTP
 * face), oldest first. A resume from before the oldest kept event replays
 * what is left and logs the gap; a resume of a stream dropped whole is
 * refused (the SDK answers it 400, our own streams too).
 */
export function memorySessionLog(
  limits: EventStoreLimits = defaultEventStoreLimits,
  log?: Logger,
  budget: EventBudget = new EventBudget(),
): SessionEventLog & RestorableLog {
  const streams = new Map<string, Stream>();
  let seq = 0;
  let forcedSeq: number | undefined;

  const dropStream = (streamId: string): void => {
    const stream = streams.get(streamId);
    streams.delete(streamId);
    for (const event of stream?.events ?? []) budget.drop(event);
  };

  const sessionLog: SessionEventLog & RestorableLog = {
    async append(streamId, message) {
      const stream = streams.get(streamId) ?? { events: [], droppedUpTo: 0 };
      // Re-inserting keeps the Map ordered by last write: the first key is the stalest stream.
      streams.delete(streamId);
      streams.set(streamId, stream);
      const wire = wireOf(message);
      seq = forcedSeq ?? seq + 1;
      const kept = typeof wire === 'string' ? wire : message;
      const event: Stored = { seq, kept, size: typeof wire === 'string' ? wire.length : wire.bytes, dropped: false, stream };
      stream.events.push(event);
      if (stream.events.length > limits.eventsPerStream) {
        const oldest = stream.events.shift();
        if (oldest !== undefined) {
          stream.droppedUpTo = oldest.seq;
          budget.drop(oldest);
        }
      }
      if (streams.size > limits.streams) {
        const stalest = streams.keys().next().value;
        if (stalest !== undefined) dropStream(stalest);
      }
      budget.add(event);
      return `${streamId}${SEPARATOR}${seq}`;
    },

    streamOf(eventId) {
      return parseEventId(eventId)?.streamId;
    },

    async replayAfter(lastEventId, send) {
      const parsed = parseEventId(lastEventId);
      const stream = parsed === undefined ? undefined : streams.get(parsed.streamId);
      if (parsed === undefined || stream === undefined) throw new Error(`no stream is known for event id ${JSON.stringify(lastEventId)}`);
      if (parsed.seq < stream.droppedUpTo) {
        log?.warn({ lastEventId, eventStoreBytes: budget.maxBytes }, 'resuming an SSE stream past dropped events: some messages are lost');
      }
      // A copy: sending awaits, and new events may arrive (and old ones go) meanwhile.
      for (const event of [...stream.events]) {
        // Priming events are stored as `{}` only to get an id: nothing to resend.
        if (event.seq <= parsed.seq || event.kept === '{}') continue;
        const message = typeof event.kept === 'string' ? (JSON.parse(event.kept) as Message) : event.kept;
        await send(`${parsed.streamId}${SEPARATOR}${event.seq}`, message);
      }
      return parsed.streamId;
    },

    drop() {
      for (const streamId of [...streams.keys()]) dropStream(streamId);
    },

    async restore(eventId, message) {
      const parsed = parseEventId(eventId);
      if (parsed === undefined || parsed.seq <= seq) return;
      forcedSeq = parsed.seq;
      try {
        await sessionLog.append(parsed.streamId, message);
      } finally {
        forcedSeq = undefined;
      }
    },

    gapBefore(eventId) {
      const parsed = parseEventId(eventId);
      const stream = parsed === undefined ? undefined : streams.get(parsed.streamId);
      return parsed === undefined || stream === undefined ? undefined : parsed.seq < stream.droppedUpTo;
    },
  };
  return sessionLog;
}

/**
 * The face's events in this process's memory: each session's log is made
 * by `memorySessionLog` with the face's limits, and all of them share one
 * byte budget (`limits.eventStoreBytes`). What the face uses unless it is
 * given another `EventLog`.
 */
export class MemoryEventLog implements EventLog {
  constructor(
    private readonly limits: EventStoreLimits = defaultEventStoreLimits,
    private readonly budget: EventBudget = new EventBudget(),
    private readonly log?: Logger,
  ) {}

  forSession(sessionId: string): SessionEventLog {
    return memorySessionLog(this.limits, this.log?.child({ session: logId(sessionId) }), this.budget);
  }

  get bytes(): number {
    return this.budget.bytes;
  }
}
