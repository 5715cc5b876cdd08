import { initialize as initializeAt, openSse as open, raw, type RawResponse, type SseStream } from '@mcproxy/testing';

// Raw HTTP and SSE reading are @mcproxy/testing's; what differs for a legacy
// SSE client is here.

/** A JSON-RPC POST as a legacy SSE client sends it (no `Accept` for SSE: its answers come on the stream). */
export function post(url: string, message: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  return raw(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(message) });
}

/** An `initialize` request, of the revision that has this transport by default. */
export const initialize = (id: number | string = 1, protocolVersion = '2024-11-05') => initializeAt(id, protocolVersion);

/** Opens a GET event stream and reads it one event at a time. */
export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  return open(url, { method: 'GET', headers: { accept: 'text/event-stream', ...headers } });
}
