import { describe, expect, it } from 'vitest';
import { eventJson, SseParser, UpstreamTooLargeError, type SseEvent } from './sse-parser.js';

function parse(chunks: string[]): { events: SseEvent[]; parser: SseParser } {
  const events: SseEvent[] = [];
  const parser = new SseParser((e) => void events.push(e));
  for (const c of chunks) parser.push(c);
  return { events, parser };
}

const STREAM = [
  ': a comment, as keep-alives are\n',
  'id: p1\nretry: 500\ndata: \n\n',
  'event: message\nid: e2\ndata: {"jsonrpc":"2.0","method":"notifications/progress"}\n\n',
  'data: first line\ndata: second line\n\n',
  'event: other\ndata:no space after the colon\n\n',
  'data: ünïcödé ✓\n\n',
].join('');

const EXPECTED: SseEvent[] = [
  { event: 'message', data: '', id: 'p1' },
  { event: 'message', data: '{"jsonrpc":"2.0","method":"notifications/progress"}', id: 'e2' },
  { event: 'message', data: 'first line\nsecond line', id: 'e2' },
  { event: 'other', data: 'no space after the colon', id: 'e2' },
  { event: 'message', data: 'ünïcödé ✓', id: 'e2' },
];

describe('SseParser', () => {
  it('reads events, multi-line data, event types, ids that carry over, retry and comments', () => {
    const { events, parser } = parse([STREAM]);
    expect(events).toEqual(EXPECTED);
    expect(parser.lastEventId).toBe('e2');
    expect(parser.retry).toBe(500);
  });

  it('gives the same events however the text is split into chunks', () => {
    for (let at = 0; at <= STREAM.length; at++) {
      expect(parse([STREAM.slice(0, at), STREAM.slice(at)]).events, `split at ${at}`).toEqual(EXPECTED);
    }
    expect(parse([...STREAM]).events).toEqual(EXPECTED);
  });

  it('takes CRLF and lone CR line endings, even with CR and LF in different chunks', () => {
    const crlf = STREAM.replace(/\n/g, '\r\n');
    const cr = STREAM.replace(/\n/g, '\r');
    for (const text of [crlf, cr]) {
      expect(parse([text]).events).toEqual(EXPECTED);
      for (let at = 0; at <= text.length; at++) {
        expect(parse([text.slice(0, at), text.slice(at)]).events, `split at ${at}`).toEqual(EXPECTED);
      }
    }
    // A CR that ends a chunk, then the LF of the same line ending: one line break, not an empty line that would dispatch early.
    expect(parse(['data: a\r', '\ndata: b\r', '\n\r', '\n']).events).toEqual([{ event: 'message', data: 'a\nb', id: undefined }]);
  });

  it('dispatches nothing for an event without data, but still moves the id and retry', () => {
    const { events, parser } = parse(['id: only-an-id\nretry: 250\n\n', 'retry: soon\n\n']);
    expect(events).toEqual([]);
    expect(parser.lastEventId).toBe('only-an-id');
    expect(parser.retry).toBe(250);
  });

  it('never dispatches an event the stream did not finish', () => {
    expect(parse(['data: complete\n\ndata: cut off\n']).events).toEqual([{ event: 'message', data: 'complete', id: undefined }]);
  });

  it('ignores a byte order mark, unknown fields and an id with NUL, and starts from a given last id', () => {
    const events: SseEvent[] = [];
    const parser = new SseParser((e) => void events.push(e), 'resumed-from');
    parser.push('\uFEFFdata: x\nfoo: bar\nid: bad\0id\n\n');
    expect(events).toEqual([{ event: 'message', data: 'x', id: 'resumed-from' }]);
  });
});

describe('SseParser with a byte limit', () => {
  it('throws UpstreamTooLargeError once a line that never ends passes the limit, keeping no more than that', () => {
    const events: SseEvent[] = [];
    const parser = new SseParser((e) => void events.push(e), undefined, 10 * 1024);
    parser.push('data: small\n\n');
    parser.push('data: ');
    let pushed = 0;
    const flood = (): void => {
      for (; pushed < 1000; pushed++) parser.push('x'.repeat(1024));
    };
    expect(flood).toThrow(UpstreamTooLargeError);
    expect(pushed).toBe(9);
    // A broken parser takes nothing more: the stream must be dropped.
    expect(() => parser.push('\n\n')).toThrow(UpstreamTooLargeError);
    expect(events.map((e) => e.data)).toEqual(['small']);
  });

  it("counts an event's data lines together, in UTF-8 bytes, and starts afresh after each event", () => {
    const events: SseEvent[] = [];
    const parser = new SseParser((e) => void events.push(e), undefined, 100);
    parser.push(`data: ${'é'.repeat(20)}\ndata: ${'é'.repeat(20)}\n\n`); // 80 bytes and two newlines
    parser.push(`data: ${'é'.repeat(20)}\ndata: ${'é'.repeat(20)}\n\n`);
    expect(events).toHaveLength(2);
    expect(() => parser.push(`data: ${'é'.repeat(30)}\ndata: ${'é'.repeat(30)}\n\n`)).toThrow(/upstreamMessageBytes \(100 bytes\)/);
    expect(events).toHaveLength(2);
  });
});

describe('SseParser with largeFrames', () => {
  const big = 'w'.repeat(2 * 1024 * 1024);
  const feed = (parser: SseParser, text: string, size = 50_000): void => {
    for (let i = 0; i < text.length; i += size) parser.push(text.slice(i, i + size));
  };

  it('dispatches a large event as a built frame, its data lines joined, and small ones as text', () => {
    const events: SseEvent[] = [];
    const parser = new SseParser((e) => void events.push(e), undefined, Infinity, true);
    feed(parser, `data: {"a":\ndata: "${big}"}\n\ndata: {"b":1}\n\n`);
    expect(events).toHaveLength(2);
    expect(events[0]?.data).toBe('');
    expect(events[0]?.large).toEqual({ ok: true, value: { a: big } });
    expect(eventJson(events[0]!)).toEqual({ value: { a: big } });
    expect(events[1]).toMatchObject({ data: '{"b":1}' });
    expect(events[1]?.large).toBeUndefined();
  });

  it('answers a large event that is not JSON as not JSON', () => {
    const events: SseEvent[] = [];
    const parser = new SseParser((e) => void events.push(e), undefined, Infinity, true);
    feed(parser, `data: {"a":"${big}"\n\n`);
    expect(eventJson(events[0]!)).toBeUndefined();
  });

  it('still refuses an event past maxBytes while streaming it', () => {
    const parser = new SseParser(() => undefined, undefined, 3 * 1024 * 1024, true);
    expect(() => feed(parser, `data: "${big}${big}"\n\n`)).toThrow(UpstreamTooLargeError);
  });
});
