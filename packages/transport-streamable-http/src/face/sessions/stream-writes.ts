// Writing a session's own event streams: headers, event framing with ids, replay from the event store.
import type { ServerResponse } from 'node:http';
import type { Message, SessionEventLog } from '@mcproxy/core';
import { framed, wireOf, type Wire } from '@mcproxy/large-json';

const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' };

/** One message as an SSE event with its id, the way the SDK transport frames them. */
export const eventText = (eventId: string, message: Message): Wire => framed(`event: message\nid: ${eventId}\ndata: `, wireOf(message), '\n\n');

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
  write: (res: ServerResponse, text: Wire) => void,
): Promise<void> {
  await store.replayAfter(lastEventId, async (eventId, message) => write(res, eventText(eventId, message)));
}
