// Reading the answer to one POSTed request: a JSON body, or an event stream followed (and resumed) until the answer is in.
import type { IncomingMessage } from 'node:http';
import { limitReply, toResponse, type LimitReporter, type Message, type Request, type RequestId } from '@mcproxy/core';
import { readResumable, type StreamHost } from './event-streams.js';
import { mediaType, readJson } from './read-body.js';
import { UpstreamTooLargeError } from './sse-parser.js';

/** Reconnection attempts without progress before a POST's stream is given up (the request fails). */
const RESUME_TRIES = 3;

/** A request whose stream is being read, until it is `over` (answered or abandoned). */
interface Following {
  over: boolean;
  res: IncomingMessage | undefined;
}

/** Is `message` the answer to our request `id`? */
const answers = (message: unknown, id: RequestId): boolean =>
  typeof message === 'object' && message !== null && !('method' in message) && (message as { id?: unknown }).id === id;

/** What reading answers needs from the link it reads for. */
export interface AnswerHost {
  /** The link's stream reader host (its `where` names the upstream in errors). */
  streams: StreamHost;
  /** The largest JSON answer taken (limits.upstreamMessageBytes). */
  maxMessageBytes: number;
  limitReporter: LimitReporter;
  /** Hands a message on, as about request `related` when given. */
  receive(message: Message, related: RequestId | undefined): void;
}

/**
 * The answers of one link's POSTed requests. Every message on a request's
 * stream is handed on with that request's id as `related`; an answer over
 * the size limit is dropped unread and the request answered -32016 instead;
 * a request we cancelled stops being read, so its socket goes back.
 */
export class PostAnswers {
  private readonly following = new Map<RequestId, Following>();

  constructor(private readonly host: AnswerHost) {}

  /**
   * Reads the answer to `request` from `res` (a 2xx that is not a 202).
   * Settles once the answer is in (or replaced by -32016); rejects when it
   * can no longer come, or when the body is neither JSON nor an event stream.
   */
  async read(res: IncomingMessage, request: Request): Promise<void> {
    const { where } = this.host.streams;
    const type = mediaType(res.headers['content-type']);
    if (type === 'text/event-stream') return this.follow(res, request).catch((err: unknown) => this.tooLarge(err, request));
    if (type !== 'application/json') {
      res.resume();
      throw new Error(`POST ${where} answered ${request.method} with content type "${type}"`);
    }
    const read = await readJson(res, this.host.maxMessageBytes).catch((err: unknown) => this.tooLarge(err, request) ?? null);
    if (read === null) return;
    if (read === undefined) throw new Error(`POST ${where} answered ${request.method} with JSON that does not parse`);
    const body = read.value;
    for (const m of Array.isArray(body) ? body : [body]) this.host.receive(m as Message, undefined);
  }

  /**
   * We cancelled request `id`: the server will not answer it (the spec says
   * so), and may keep its stream open for nothing, holding a socket of the
   * agent. Stop reading it and let the socket go.
   */
  abandon(id: unknown): void {
    const state = typeof id === 'string' || typeof id === 'number' ? this.following.get(id) : undefined;
    if (state === undefined) return;
    state.over = true;
    state.res?.destroy();
  }

  /**
   * An answer over the size limit was dropped unread: the request is
   * answered -32016 naming the limit (undefined: nothing more to read);
   * any other error is passed on.
   */
  private tooLarge(err: unknown, request: Request): undefined {
    if (!(err instanceof UpstreamTooLargeError)) throw err;
    const { where } = this.host.streams;
    this.host.limitReporter.hit(err.limit, err.value, { upstream: where, method: request.method });
    const reply = limitReply(err.limit, err.value, `the answer of ${where} to ${request.method} was dropped`, { upstream: where });
    this.host.receive(toResponse(request.id, reply), request.id);
    return undefined;
  }

  /**
   * Reads a POST's event stream until the answer to `id` is in, resuming it
   * with GET as long as the server allows. Settles with the answer: the
   * stream's end (the server ends it right after) is not waited for.
   */
  private follow(res: IncomingMessage, { id }: Request): Promise<void> {
    return new Promise((resolve, reject) => {
      const state: Following = { over: false, res };
      this.following.set(id, state);
      const seen = (m: unknown): void => {
        if (state.over || !answers(m, id)) return;
        state.over = true;
        resolve();
      };
      readResumable(this.host.streams, res, { related: id, seen, more: () => !state.over, tries: RESUME_TRIES, reading: (r) => void (state.res = r) })
        .finally(() => this.following.get(id) === state && this.following.delete(id))
        .then(resolve, reject);
    });
  }
}
