// Writing a session's own event streams: headers, event framing with ids, replay from the event store.
import type { ServerResponse } from 'node:http';
import { jsonOf, type Message, type SessionEventLog } from '@mcproxy/core';

const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' };

/** One message as an SSE event with its id, the way the SDK transport frames them. */
export const eventText = (eventId: string, message: Message): string => `event: message\nid: ${eventId}\ndata: ${jsonOf(message)}\n\n`;

/** Sends the headers of an event stream of session `sessionId` at once, before any event. */
export function startEventStream(res: ServerResponse, sessionId: string): void {
  res.writeHead(200, { ...SSE_HEADERS, 'mcp-session-id': sessionId });
  res.flushHeaders();
}

/** Writes to `res`, through `write`, every event `store` holds after `lastEventId` (rejects when it holds none of that stream). */
export async function replayAfter(
  store: SessionEventLog,
  lastEventId: string,
  res: ServerResponse,
  write: (res: ServerResponse, text: string) => void,
): Promise<void> {
  await store.replayAfter(lastEventId, async (eventId, message) => write(res, eventText(eventId, message)));
}
