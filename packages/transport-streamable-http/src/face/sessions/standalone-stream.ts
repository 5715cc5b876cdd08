// A session's standalone GET stream, served on node:http: one at a time, stored, resumable.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import type { Message, SessionEventLog } from '@mcproxy/core';
import type { Wire } from '@mcproxy/large-json';
import { eventText, replayAfter, startEventStream } from './stream-writes.js';

/** The SDK's name for a session's standalone (GET) stream; ours too, so its event ids keep their meaning. */
const STANDALONE = '_GET_stream';

export interface StandaloneStreamOptions {
  sessionId: string;
  store: SessionEventLog;
  /** Writes to a stream of the session, cutting a reader that fell too far behind. */
  write(res: ServerResponse | undefined, text: Wire): void;
}

/**
 * A session's standalone (GET) stream, for what the server starts on its own:
 * at most one open at a time, every message stored first so a client that
 * resumes it with `Last-Event-ID` (or opens it late) gets what it missed.
 */
export class StandaloneStream {
  /** The open stream, while a client holds it. */
  private res: ServerResponse | undefined;
  /** Writes in order: storing an event is asynchronous. */
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly options: StandaloneStreamOptions) {}

  /**
   * A GET for the session's standalone stream (or one resuming it with
   * `Last-Event-ID`), served here so that what it carries goes through
   * `writeOrCut` like every stream of ours (the SDK transport queues a slow
   * reader's backlog in a web stream without bound). Returns false, having
   * touched nothing, for what the SDK transport answers (no `Accept` for
   * SSE, a bad `MCP-Protocol-Version`, a resume of a stream no longer kept).
   */
  open(req: IncomingMessage, res: ServerResponse): boolean {
    if (!(req.headers.accept ?? '').includes('text/event-stream')) return false;
    const header = req.headers['mcp-protocol-version'];
    if (header !== undefined && (typeof header !== 'string' || !SUPPORTED_PROTOCOL_VERSIONS.includes(header))) return false;
    const last = req.headers['last-event-id'];
    if (last !== undefined && (typeof last !== 'string' || this.options.store.streamOf(last) !== STANDALONE)) return false;
    if (last !== undefined && this.options.store.gapBefore(last) === undefined) return false;
    if (last === undefined && this.res !== undefined) {
      res.writeHead(409, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          jsonrpc: '2.0',
          id: null,
          error: { code: -32000, message: 'Conflict: Only one SSE stream is allowed per session' },
        }),
      );
      return true;
    }
    // A resume replaces the stream it resumes (that client is gone, or will be).
    this.res?.end();
    this.res = res;
    startEventStream(res, this.options.sessionId);
    res.once('close', () => {
      if (this.res === res) this.res = undefined;
    });
    if (last !== undefined) {
      this.chain = this.chain.then(() => replayAfter(this.options.store, last, res, this.options.write)).catch(() => undefined);
    }
    return true;
  }

  /** Stores `message` and writes it to the open stream, if any; settles once it is out (or stored). */
  send(message: Message): Promise<void> {
    // Stored even while no stream is open, so a client that comes back gets it.
    const sent = this.chain.then(async () => {
      const eventId = await this.options.store.append(STANDALONE, message);
      this.options.write(this.res, eventText(eventId, message));
    });
    this.chain = sent.catch(() => undefined);
    return sent;
  }

  /** Ends the open stream once what is queued for it is out. */
  close(): void {
    const res = this.res;
    void this.chain.then(() => res?.end());
  }
}
