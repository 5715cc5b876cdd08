// The hot path of a session: single-message POSTs answered on node:http, as JSON or a resumable event stream.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import type { Wire } from '@mcproxy/large-json';
import { classify, type Message, type RequestId, type SessionEventLog } from '@mcproxy/core';
import { isJsonContentType } from '../../http/body.js';
import { endJson } from '../../http/json-writes.js';
import { writeOrCut } from '../../http/sse-writes.js';
import { eventText, replayAfter, startEventStream } from './stream-writes.js';
import { StandaloneStream } from './standalone-stream.js';

/** How long a stream whose client went away waits to be resumed before it is forgotten. */
const ORPHAN_MS = 60_000;

interface Stream {
  id: RequestId;
  /** Given when the answer becomes an event stream (only then can it be resumed). */
  streamId: string | undefined;
  res: ServerResponse | undefined;
  /** Headers are out as an event stream (else nothing is out yet). */
  sse: boolean;
  version: string;
  /** When it was taken; a stream still waiting `primeAfterMs` later becomes an event stream. */
  takenAt: number;
  /** Forgets a stream whose client left without resuming. */
  timer: NodeJS.Timeout | undefined;
  /** Writes in order: storing an event is asynchronous. */
  chain: Promise<void>;
}

export interface DirectPostsOptions {
  sessionId: string;
  store: SessionEventLog;
  retryMs: number;
  /** Start an event stream (with a resumable priming event) when an answer takes longer than this. */
  primeAfterMs: number;
  deliver(message: Message): void;
  /** Bytes written to one stream and not yet taken by its reader; past this the stream is cut (the client may resume). */
  slowReaderBytes: number;
  /** A stream was cut for `slowReaderBytes`, with this many bytes waiting. */
  onSlowReader(buffered: number): void;
}

/**
 * The hot path of a session: a POST of one message, on a session that
 * exists, with the headers the spec asks for, is served here on `node:http`
 * instead of through the SDK's transport (which converts every request to
 * a web `Request` and every answer to a web stream). Anything else (batches,
 * bad headers, GET without a stream of ours, DELETE) is left to the SDK
 * transport, which answers it as before.
 *
 * An answer that comes with nothing before it, within `primeAfterMs`, is
 * sent as plain JSON. Otherwise the response becomes an event stream: a
 * priming event (id and retry, for clients of 2025-11-25 and later), then
 * every message about the request, each stored in the session's event
 * store so a client that loses the stream can resume it with `Last-Event-ID`.
 */
export class DirectPosts {
  private readonly byRequest = new Map<RequestId, Stream>();
  private readonly byStream = new Map<string, Stream>();
  /** Streams with nothing sent yet; one ticker per session watches them, not a timer per request. */
  private readonly waiting = new Set<Stream>();
  private ticker: NodeJS.Timeout | undefined;
  /** The session's GET stream. */
  private readonly standalone: StandaloneStream;

  constructor(private readonly options: DirectPostsOptions) {
    this.standalone = new StandaloneStream({ sessionId: options.sessionId, store: options.store, write: (res, text) => this.write(res, text) });
  }

  private write(res: ServerResponse | undefined, text: Wire): void {
    if (res !== undefined) writeOrCut(res, text, this.options.slowReaderBytes, this.options.onSlowReader);
  }

  /** Requests being answered here now. */
  get busy(): number {
    return this.byRequest.size;
  }

  /** Serves the POST and returns true, or returns false having touched nothing. */
  take(req: IncomingMessage, res: ServerResponse, body: unknown): boolean {
    const accept = req.headers.accept ?? '';
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) return false;
    if (!isJsonContentType(req.headers['content-type'])) return false;
    const header = req.headers['mcp-protocol-version'];
    if (header !== undefined && (typeof header !== 'string' || !SUPPORTED_PROTOCOL_VERSIONS.includes(header))) return false;
    const found = classify(body);
    if (found.kind === 'invalid') return false;
    if (found.kind !== 'request') {
      res.writeHead(202).end();
      this.options.deliver(found.message);
      return true;
    }
    const { id, method } = found.message;
    if (method === 'initialize' || this.byRequest.has(id)) return false;
    const stream: Stream = {
      id,
      streamId: undefined,
      res,
      sse: false,
      version: header ?? '2025-03-26',
      takenAt: Date.now(),
      timer: undefined,
      chain: Promise.resolve(),
    };
    this.byRequest.set(id, stream);
    res.once('close', () => this.lost(stream, res));
    if (this.options.primeAfterMs === 0) this.startStream(stream);
    else this.watch(stream);
    this.options.deliver(found.message);
    return true;
  }

  /** Sends `message` if it belongs to a request served here; false leaves it to the SDK transport. */
  send(message: Message, relatedRequestId: RequestId | undefined): Promise<void> | false {
    const response = !('method' in message);
    const id = response ? message.id : relatedRequestId;
    if (id === undefined && !response) return this.standalone.send(message);
    const stream = id === null || id === undefined ? undefined : this.byRequest.get(id);
    if (stream === undefined) return false;
    if (response && !stream.sse) {
      this.finish(stream);
      endJson(stream.res, 200, { 'mcp-session-id': this.options.sessionId }, message);
      return Promise.resolve();
    }
    this.startStream(stream);
    stream.chain = stream.chain.then(async () => {
      // startStream has given it an id.
      const eventId = await this.options.store.append(stream.streamId as string, message);
      this.write(stream.res, eventText(eventId, message));
    });
    if (response) {
      this.finish(stream);
      stream.chain = stream.chain.then(() => void stream.res?.end());
    }
    return stream.chain;
  }

  /**
   * A GET that resumes one of our streams (`Last-Event-ID`) while its
   * request is still being answered: replays what the client missed and
   * carries on there. Returns false for anything else.
   */
  resume(req: IncomingMessage, res: ServerResponse): boolean {
    const last = req.headers['last-event-id'];
    if (typeof last !== 'string' || !(req.headers.accept ?? '').includes('text/event-stream')) return false;
    const streamId = this.options.store.streamOf(last);
    const stream = streamId === undefined ? undefined : this.byStream.get(streamId);
    if (stream === undefined || !this.byRequest.has(stream.id)) return false;
    stream.res?.end();
    stream.res = res;
    clearTimeout(stream.timer);
    startEventStream(res, this.options.sessionId);
    res.once('close', () => this.lost(stream, res));
    stream.chain = stream.chain.then(() => replayAfter(this.options.store, last, res, (to, text) => this.write(to, text))).catch(() => undefined);
    return true;
  }

  /** A GET for the session's standalone stream: see `StandaloneStream.open`. */
  openStandalone(req: IncomingMessage, res: ServerResponse): boolean {
    return this.standalone.open(req, res);
  }

  /** The session is over: every response still open ends (core has answered what it could). */
  close(): void {
    clearInterval(this.ticker);
    this.ticker = undefined;
    this.standalone.close();
    for (const stream of this.byRequest.values()) {
      this.finish(stream);
      void stream.chain.then(() => stream.res?.end());
    }
  }

  private watch(stream: Stream): void {
    this.waiting.add(stream);
    if (this.ticker !== undefined) return;
    const every = Math.max(5, Math.floor(this.options.primeAfterMs / 2));
    this.ticker = setInterval(() => {
      const due = Date.now() - this.options.primeAfterMs;
      for (const waiting of this.waiting) if (waiting.takenAt <= due) this.startStream(waiting);
      if (this.waiting.size === 0) {
        clearInterval(this.ticker);
        this.ticker = undefined;
      }
    }, every);
    this.ticker.unref();
  }

  private startStream(stream: Stream): void {
    this.waiting.delete(stream);
    if (stream.sse || stream.res === undefined) return;
    clearTimeout(stream.timer);
    stream.sse = true;
    const streamId = crypto.randomUUID();
    stream.streamId = streamId;
    this.byStream.set(streamId, stream);
    const res = stream.res;
    startEventStream(res, this.options.sessionId);
    // Old clients choke on the empty data of a priming event.
    if (stream.version < '2025-11-25') return;
    stream.chain = stream.chain.then(async () => {
      const eventId = await this.options.store.append(streamId, {} as Message);
      this.write(res, `id: ${eventId}\nretry: ${this.options.retryMs}\ndata: \n\n`);
    });
  }

  /** The client's connection closed before the answer: keep a resumable stream a while, forget the rest. */
  private lost(stream: Stream, res: ServerResponse): void {
    if (stream.res !== res || !this.byRequest.has(stream.id)) return;
    stream.res = undefined;
    this.waiting.delete(stream);
    clearTimeout(stream.timer);
    if (!stream.sse) {
      this.finish(stream);
      return;
    }
    stream.timer = setTimeout(() => {
      if (stream.res === undefined) this.finish(stream);
    }, ORPHAN_MS);
    stream.timer.unref();
  }

  private finish(stream: Stream): void {
    this.waiting.delete(stream);
    clearTimeout(stream.timer);
    this.byRequest.delete(stream.id);
    if (stream.streamId !== undefined) this.byStream.delete(stream.streamId);
  }
}
