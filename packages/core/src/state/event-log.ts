import type { Message } from '../wire/jsonrpc.js';

/**
 * What one 2025-era session sent on its SSE streams, kept so that a client whose stream dropped can
 * come back with `Last-Event-ID` and get the rest. Event ids are the log's own: a client only hands
 * them back. A priming event (an id with nothing to resend) is appended as an empty object: kept
 * for its id, never replayed.
 */
export interface SessionEventLog {
  /** Keeps `message`, sent on stream `streamId`; resolves to its event id. */
  append(streamId: string, message: Message): Promise<string>;
  /** The stream an event id of this log names, kept or not; undefined for an id it did not make. */
  streamOf(eventId: string): string | undefined;
  /** Whether a resume after `eventId` has lost events to a bound; undefined when its stream is not kept at all. */
  gapBefore(eventId: string): boolean | undefined;
  /** Sends, in order, every event kept after `eventId` on its stream; resolves to the stream's id, rejects when that stream is not kept. */
  replayAfter(eventId: string, send: (eventId: string, message: Message) => Promise<void>): Promise<string>;
  /** Forgets every stream of the session (it ended). */
  drop(): void;
}

/**
 * Where an HTTP face keeps the events of all its sessions, within one budget of bytes. One process
 * keeps them in memory (the Streamable HTTP face's default); a shared implementation would let
 * another instance resume a stream.
 */
export interface EventLog {
  /** The log of session `sessionId`, asked for once, when the session opens. */
  forSession(sessionId: string): SessionEventLog;
  /** Bytes of events kept now, over every session. */
  readonly bytes: number;
}
