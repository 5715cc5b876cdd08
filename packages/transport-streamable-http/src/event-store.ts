import type { EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '@mcproxy/core';

export interface EventStoreLimits {
  /** Events kept per SSE stream; older ones are dropped first. */
  eventsPerStream: number;
  /** Streams kept per session; the one written to least recently is dropped first. */
  streams: number;
}

export const defaultEventStoreLimits: EventStoreLimits = { eventsPerStream: 200, streams: 32 };

interface Stored {
  seq: number;
  message: JSONRPCMessage;
}

interface Stream {
  events: Stored[];
  /** The newest event dropped for the cap: a resume from before it has lost messages. */
  droppedUpTo: number;
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
 * when a store is present). Bounded both ways: per stream and in streams,
 * so a long session cannot grow without limit. A resume from before the
 * oldest kept event replays what is left and logs the gap.
 */
/** The stream an event id of this store belongs to (undefined for an id it did not make). */
export function streamIdOf(eventId: string): string | undefined {
  return parseEventId(eventId)?.streamId;
}

export function createEventStore(limits: EventStoreLimits = defaultEventStoreLimits, log?: Logger): EventStore {
  const streams = new Map<string, Stream>();
  let seq = 0;

  return {
    async storeEvent(streamId, message) {
      const stream = streams.get(streamId) ?? { events: [], droppedUpTo: 0 };
      // Re-inserting keeps the Map ordered by last write: the first key is the stalest stream.
      streams.delete(streamId);
      streams.set(streamId, stream);
      stream.events.push({ seq: ++seq, message });
      if (stream.events.length > limits.eventsPerStream) stream.droppedUpTo = stream.events.shift()?.seq ?? stream.droppedUpTo;
      if (streams.size > limits.streams) {
        const stalest = streams.keys().next().value;
        if (stalest !== undefined) streams.delete(stalest);
      }
      return `${streamId}${SEPARATOR}${seq}`;
    },

    async getStreamIdForEventId(eventId) {
      const parsed = parseEventId(eventId);
      return parsed !== undefined && streams.has(parsed.streamId) ? parsed.streamId : undefined;
    },

    async replayEventsAfter(lastEventId, { send }) {
      const parsed = parseEventId(lastEventId);
      const stream = parsed === undefined ? undefined : streams.get(parsed.streamId);
      if (parsed === undefined || stream === undefined) throw new Error(`no stream is known for event id ${JSON.stringify(lastEventId)}`);
      if (parsed.seq < stream.droppedUpTo) {
        log?.warn({ lastEventId }, 'resuming an SSE stream past dropped events: some messages are lost');
      }
      for (const event of stream.events) {
        // Priming events are stored as `{}` only to get an id: nothing to resend.
        if (event.seq <= parsed.seq || !('jsonrpc' in event.message)) continue;
        await send(`${parsed.streamId}${SEPARATOR}${event.seq}`, event.message);
      }
      return parsed.streamId;
    },
  };
}
