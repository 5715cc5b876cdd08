// Writing our own event streams to clients: headers, event framing, a bound on a slow reader's backlog, replay.
import type { ServerResponse } from 'node:http';
import { jsonOf, type Message } from '@mcproxy/core';
import type { SessionEventStore } from './event-store.js';

const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' };

/**
 * Writes `text` to an event stream unless its reader has fallen more than
 * `maxBuffered` bytes behind: then the response is destroyed and
 * `onCut(buffered)` called. Node buffers whatever a reader does not take
 * (an upstream flooding a client that never reads grew the proxy from 80 MB
 * to 1.3 GB in 40 s); cutting bounds that, and a client that resumes with
 * `Last-Event-ID` loses nothing the event store still holds. Returns
 * whether the text went out.
 */
export function writeOrCut(res: ServerResponse, text: string, maxBuffered: number, onCut: (buffered: number) => void): boolean {
  if (res.destroyed || res.writableEnded) return false;
  res.write(text);
  // The response's own buffer and its socket's: all that waits for the reader.
  const buffered = res.writableLength;
  if (buffered <= maxBuffered) return true;
  onCut(buffered);
  res.destroy();
  return false;
}

/** One message as an SSE event with its id, the way the SDK transport frames them. */
export const eventText = (eventId: string, message: Message): string => `event: message\nid: ${eventId}\ndata: ${jsonOf(message)}\n\n`;

/** Sends the headers of an event stream of session `sessionId` at once, before any event. */
export function startEventStream(res: ServerResponse, sessionId: string): void {
  res.writeHead(200, { ...SSE_HEADERS, 'mcp-session-id': sessionId });
  res.flushHeaders();
}

/** Writes to `res`, through `write`, every event `store` holds after `lastEventId` (rejects when it holds none of that stream). */
export async function replayAfter(
  store: SessionEventStore,
  lastEventId: string,
  res: ServerResponse,
  write: (res: ServerResponse, text: string) => void,
): Promise<void> {
  await store.replayEventsAfter(lastEventId, {
    send: async (eventId, message) => write(res, eventText(eventId, message as Message)),
  });
}
