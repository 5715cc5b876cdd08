// The SDK transport's view of a session's event log: its EventStore shape over core's SessionEventLog.
import type { EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Logger, Message, SessionEventLog } from '@mcproxy/core';
import { defaultEventStoreLimits, type EventBudget, type EventStoreLimits, memorySessionLog } from './event-store.js';

/** A session's event store, which gives its bytes back to the face's budget when the session ends. */
export interface SessionEventStore extends EventStore {
  /** Forgets every event (the session ended). */
  dispose(): void;
  /** Whether a resume after `eventId` has lost events to a cap (undefined: the stream is not known at all). */
  gapBefore(eventId: string): boolean | undefined;
}

/** `events` as the SDK's server transport takes an event store; both write to the same log. */
export function sdkEventStore(events: SessionEventLog): SessionEventStore {
  return {
    storeEvent: (streamId, message) => events.append(streamId, message as Message),
    getStreamIdForEventId: async (eventId) => (events.gapBefore(eventId) === undefined ? undefined : events.streamOf(eventId)),
    replayEventsAfter: (lastEventId, { send }) => events.replayAfter(lastEventId, (eventId, message) => send(eventId, message as JSONRPCMessage)),
    dispose: () => events.drop(),
    gapBefore: (eventId) => events.gapBefore(eventId),
  };
}

/**
 * One session's event store for the SDK's server transport, kept in memory
 * (see `memorySessionLog`): bounded by `limits` and by the bytes of
 * `budget`, which every session of one face shares.
 */
export function createEventStore(limits: EventStoreLimits = defaultEventStoreLimits, log?: Logger, budget?: EventBudget): SessionEventStore {
  return sdkEventStore(memorySessionLog(limits, log, budget));
}
