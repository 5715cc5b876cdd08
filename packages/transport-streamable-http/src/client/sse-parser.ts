/**
 * An upstream sent more than `limits.upstreamMessageBytes` in one message (a
 * JSON body, or one event of a stream, counted before it ends). Whatever was
 * being read is dropped at that point, so memory stays bounded whatever the
 * upstream (or a man in the middle) sends.
 */
export class UpstreamTooLargeError extends Error {
  readonly limit = 'upstreamMessageBytes' as const;
  constructor(
    readonly value: number,
    what: string,
  ) {
    super(`${what} is larger than limits.upstreamMessageBytes (${value} bytes)`);
    this.name = 'UpstreamTooLargeError';
  }
}

import { LARGE_FRAME_BYTES, LargeFrame, type FrameResult } from '@mcproxy/large-json';

/** One dispatched server-sent event. */
export interface SseEvent {
  /** `message` unless the event named another type. */
  event: string;
  /** Its data; '' when it came as `large`. */
  data: string;
  /** With `largeFrames`, the data of an event past `LARGE_FRAME_BYTES`, built as it came (never joined into one text). */
  large?: FrameResult;
  /** The last event id seen on the stream so far (it carries over, as in EventSource). */
  id: string | undefined;
}

/**
 * An incremental parser for `text/event-stream` (the WHATWG rules, minus
 * what only browsers need): feed it decoded text in chunks split anywhere,
 * and it calls `onevent` for each complete event that has data. Lines may
 * end in `\n`, `\r\n` or `\r`, even when the `\r` and `\n` arrive in
 * different chunks. Events without data (a priming event: an id and a
 * retry) dispatch nothing but still move `lastEventId` and `retry`, which is
 * what a client needs to resume. Text after the last blank line is an
 * incomplete event and is never dispatched. An event (its pending line and
 * data lines together) over `maxBytes` of UTF-8 makes `push` throw an
 * `UpstreamTooLargeError` before it is kept: a line that never ends cannot
 * grow the buffer without bound. Once thrown, the parser takes nothing more.
 *
 * @example
 * const parser = new SseParser((e) => handle(JSON.parse(e.data)));
 * res.setEncoding('utf8');
 * res.on('data', (chunk: string) => parser.push(chunk));
 */
export class SseParser {
  /** The id to send as `Last-Event-ID` when resuming this stream. */
  lastEventId: string | undefined;
  /** The reconnection delay the server asked for, in ms. */
  retry: number | undefined;
  /** Did any line (a comment, a field) arrive? A stream that sends nothing made no progress. */
  sawAny = false;
  private partial = '';
  private skipLf = false;
  private started = false;
  private data: string[] = [];
  /** UTF-8 bytes of the event being read: its data lines and the pending line. */
  private pending = 0;
  private partialBytes = 0;
  private broken = false;
  private type = '';
  /** The data of the event being read, once it is large (with `largeFrames`). */
  private frame: LargeFrame | undefined;
  /** Data lines the frame holds, so the next is joined with a newline. */
  private frameLines = 0;
  /** The line being read is a data line whose text goes straight to `frame`. */
  private streaming = false;

  /**
   * `largeFrames`: the data of an event that grows past `LARGE_FRAME_BYTES`
   * goes to a `LargeFrame` as it comes and is dispatched as `large`, so a
   * message of many megabytes is never one text (consumers read it with
   * `eventJson`).
   */
  constructor(
    private readonly onevent: (event: SseEvent) => void,
    lastEventId?: string,
    private readonly maxBytes = Infinity,
    private readonly largeFrames = false,
  ) {
    this.lastEventId = lastEventId;
  }

  push(chunk: string): void {
    if (chunk.length === 0) return;
    if (this.broken) throw new UpstreamTooLargeError(this.maxBytes, 'an event');
    if (!this.started) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    if (this.skipLf) {
      this.skipLf = false;
      if (chunk.charCodeAt(0) === 10) chunk = chunk.slice(1);
    }
    if (chunk.includes('\r')) {
      // A CR ends a line on its own; an LF right after it (maybe in the next chunk) is part of the same ending.
      this.skipLf = chunk.charCodeAt(chunk.length - 1) === 13;
      chunk = chunk.replace(/\r\n?/g, '\n');
    }
    if (this.streaming) {
      const end = chunk.indexOf('\n');
      this.feed(end === -1 ? chunk : chunk.slice(0, end));
      if (end === -1) return;
      this.streaming = false;
      chunk = chunk.slice(end + 1);
      if (chunk.length === 0) return;
    }
    let at = chunk.indexOf('\n');
    if (at === -1) {
      const bytes = this.measure(chunk, this.partialBytes);
      this.partial += chunk;
      this.partialBytes = bytes;
      if (this.largeFrames && this.partial.startsWith('data:') && this.pending + (bytes || this.partial.length) > LARGE_FRAME_BYTES) this.stream();
      return;
    }
    const first = this.partial + chunk.slice(0, at);
    this.partial = '';
    this.partialBytes = 0;
    this.line(first);
    for (let from = at + 1; ; from = at + 1) {
      at = chunk.indexOf('\n', from);
      if (at === -1) {
        const rest = chunk.slice(from);
        this.partialBytes = this.measure(rest, 0);
        this.partial = rest;
        return;
      }
      this.line(chunk.slice(from, at));
    }
  }

  /** The bytes of the unfinished line once `text` is added to `before` of them; throws when its event would be over the limit. */
  private measure(text: string, before: number): number {
    if (this.maxBytes === Infinity) return 0;
    const bytes = before + Buffer.byteLength(text);
    this.check(this.pending + bytes);
    return bytes;
  }

  /** The data line being read is large: from now on its text goes to the frame as it comes. */
  private stream(): void {
    let value = this.partial.slice(5);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    this.pending += this.partialBytes;
    this.partial = '';
    this.partialBytes = 0;
    this.sawAny = true;
    this.streaming = true;
    this.appendLine(value, false);
  }

  /** More of the data line being streamed. */
  private feed(text: string): void {
    const bytes = Buffer.from(text, 'utf8');
    if (this.maxBytes !== Infinity) {
      this.pending += bytes.length;
      this.check(this.pending);
    }
    this.frame?.push(bytes);
  }

  /** A data line (or the start of one) into the frame, after the lines kept so far. */
  private appendLine(value: string, counted: boolean): void {
    if (this.frame === undefined) {
      this.frame = new LargeFrame();
      if (this.data.length > 0) this.frame.push(Buffer.from(this.data.join('\n')));
      this.frameLines = this.data.length;
      this.data = [];
    }
    this.frame.push(Buffer.from(`${this.frameLines > 0 ? '\n' : ''}${value}`, 'utf8'));
    this.frameLines++;
    if (!counted && this.maxBytes !== Infinity) this.check(this.pending);
  }

  private check(bytes: number): void {
    if (bytes <= this.maxBytes) return;
    this.broken = true;
    this.partial = '';
    this.data = [];
    this.frame = undefined;
    this.streaming = false;
    throw new UpstreamTooLargeError(this.maxBytes, 'an event');
  }

  private line(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    this.sawAny = true;
    if (line.charCodeAt(0) === 58) return; // ':' starts a comment (a keep-alive)
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (field) {
      case 'data':
        if (this.maxBytes !== Infinity) {
          const bytes = this.pending + Buffer.byteLength(value) + 1;
          this.check(bytes);
          this.pending = bytes;
        }
        if (this.frame !== undefined) this.appendLine(value, true);
        else this.data.push(value);
        break;
      case 'event':
        this.type = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
      default:
        break;
    }
  }

  private dispatch(): void {
    const { data, type, frame } = this;
    this.type = '';
    this.pending = 0;
    if (frame !== undefined) {
      this.frame = undefined;
      this.frameLines = 0;
      this.onevent({ event: type === '' ? 'message' : type, data: '', large: frame.end(), id: this.lastEventId });
      return;
    }
    if (data.length === 0) return;
    this.data = [];
    this.onevent({ event: type === '' ? 'message' : type, data: data.length === 1 ? data[0]! : data.join('\n'), id: this.lastEventId });
  }
}

/** The JSON an event carries, whether it came as text or as `large`: `{ value }`, or undefined when it is not JSON. */
export function eventJson(event: SseEvent): { value: unknown } | undefined {
  if (event.large !== undefined) return event.large.ok ? { value: event.large.value } : undefined;
  try {
    return { value: JSON.parse(event.data) as unknown };
  } catch {
    return undefined;
  }
}
