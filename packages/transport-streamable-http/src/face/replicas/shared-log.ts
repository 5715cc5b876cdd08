import { logId, type Logger, type Message, type SessionEventLog } from '@mcproxy/core';
import { wireOf } from '@mcproxy/large-json';
import type { RestorableLog } from '../sessions/event-store.js';
import type { SharedEvent, SharedEvents } from './directory.js';

/**
 * A session's event log whose every event is also in the shared store
 * before the client can see it (the face writes an event only once
 * `append` resolves), so whichever replica takes the session over can
 * resume the stream from the client's `Last-Event-ID`. A store that cannot
 * take an event does not stop the session: the event is kept here, and only
 * a takeover during the outage would miss it (logged once per outage).
 */
export function mirrored(log: SessionEventLog, shared: SharedEvents, sessionId: string, logger: Logger): SessionEventLog {
  let failing = false;
  return {
    async append(streamId, message) {
      const eventId = await log.append(streamId, message);
      const text = wireOf(message);
      // A message carrying large parts is far past what the store keeps of a session: it stays here alone.
      if (typeof text !== 'string') return eventId;
      try {
        await shared.append(sessionId, { eventId, streamId, text });
        failing = false;
      } catch (err) {
        if (!failing)
          logger.warn(
            { session: logId(sessionId), err: (err as Error).message },
            'an SSE event is not in the shared store: a replica taking this session over cannot replay it',
          );
        failing = true;
      }
      return eventId;
    },
    streamOf: (eventId) => log.streamOf(eventId),
    gapBefore: (eventId) => log.gapBefore(eventId),
    replayAfter: (eventId, send) => log.replayAfter(eventId, send),
    drop: () => log.drop(),
  };
}

/** Puts back into `log` the events another replica kept for the session, under their own ids. */
export async function restore(log: SessionEventLog, events: readonly SharedEvent[]): Promise<number> {
  const restorable = log as SessionEventLog & Partial<RestorableLog>;
  if (restorable.restore === undefined) return 0;
  let restored = 0;
  for (const event of events) {
    let message: Message;
    try {
      message = JSON.parse(event.text) as Message;
    } catch {
      continue;
    }
    await restorable.restore(event.eventId, message);
    restored++;
  }
  return restored;
}
