import { describe, expect, it } from 'vitest';
import type { Message } from '@mcproxy/core';
import { LargeFrame, LAZY_MEMBER_BYTES } from './frame.js';
import { rawOf } from './lazy.js';
import { JsonScanner } from './scanner.js';
import { framed, wireBytes, wireOf } from './wire.js';

/** Feeds `text` in chunks of `size` bytes, as a pipe or socket would. */
function frameOf(text: string, size = 7): LargeFrame {
  const bytes = Buffer.from(text);
  const frame = new LargeFrame();
  for (let i = 0; i < bytes.length; i += size) frame.push(bytes.subarray(i, i + size));
  return frame;
}

const wireText = (message: Message): string => {
  const wire = wireOf(message);
  return typeof wire === 'string' ? wire : Buffer.concat(wire.pieces.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))).toString();
};

const big = (n: number): string => 'é"\\\n'.repeat(Math.ceil(n / 5));

describe('JsonScanner', () => {
  const valid = ['{}', '[]', '0', '-0.5e+10', '"a\\u00e9\\n"', ' {"a":[1,2,{"b":null}],"c":true,"d":false} ', '[[[]]]', '1E5', '{"":""}'];
  const invalid = ['{', '{"a"}', '{"a":}', '[1,]', '[01]', '{"a":1,}', '"\\x"', '"a\nb"', 'tru', '1.', '-', '{} {}', '[1 2]', '{"a":1]', '"\\u12g4"', '1e'];
  for (const text of valid) {
    it(`accepts ${JSON.stringify(text)} in chunks of any size, as JSON.parse does`, () => {
      expect(() => JSON.parse(text)).not.toThrow();
      for (const size of [1, 2, 3, 100]) {
        const scanner = new JsonScanner();
        const bytes = Buffer.from(text);
        for (let i = 0; i < bytes.length; i += size) scanner.push(bytes.subarray(i, i + size));
        expect(scanner.end()).toBe(true);
      }
    });
  }
  for (const text of invalid) {
    it(`refuses ${JSON.stringify(text)}, as JSON.parse does`, () => {
      expect(() => JSON.parse(text)).toThrow();
      const scanner = new JsonScanner();
      for (const byte of Buffer.from(text)) scanner.push(Buffer.from([byte]));
      expect(scanner.end()).toBe(false);
      expect(scanner.fail).toMatch(/byte \d+/);
    });
  }

  it('refuses nesting past its bound without growing', () => {
    const scanner = new JsonScanner();
    scanner.push(Buffer.from('['.repeat(100_000)));
    expect(scanner.fail).toMatch(/nesting deeper than 1000/);
  });
});

describe('LargeFrame', () => {
  const text = big(3 * LAZY_MEMBER_BYTES);
  const message = { jsonrpc: '2.0', id: 7, result: { content: [{ type: 'text', text }], isError: false, _meta: { a: 1 } } };

  it('builds the same value JSON.parse would, leaving the large member as bytes until it is read', () => {
    const built = frameOf(JSON.stringify(message), 4096).end();
    expect(built.ok).toBe(true);
    const value = (built as { value: typeof message }).value;
    expect(value.id).toBe(7);
    expect(value.result.isError).toBe(false);
    expect(rawOf(value.result.content)).toBeDefined();
    expect(Array.isArray(value.result.content)).toBe(true);
    // A spread copies the reference, not the bytes.
    const copy = { ...value.result };
    expect(rawOf(copy.content)).toBeDefined();
    expect(value).toEqual(message);
    expect(rawOf(value.result.content)).toBeUndefined();
  });

  it('sends the bytes it kept: the wire is JSON.stringify of the message, with another id and more members', () => {
    const value = (frameOf(JSON.stringify(message), 65536).end() as { value: typeof message }).value;
    const reply = { jsonrpc: '2.0' as const, id: 'client-3', result: { ...value.result, extra: undefined, more: [1] } };
    const wire = wireOf(reply);
    expect(typeof wire).toBe('object');
    expect(wireText(reply)).toBe(JSON.stringify({ ...reply, result: { ...message.result, more: [1] } }));
    expect(wireBytes(wire)).toBe(Buffer.byteLength(wireText(reply)));
    expect(rawOf(value.result.content)).toBeDefined();
  });

  it('sends a value something changed as it is now, not as it came', () => {
    const value = (frameOf(JSON.stringify(message)).end() as { value: typeof message }).value;
    value.result.content.push({ type: 'text', text: 'added' });
    expect(JSON.parse(wireText(value as Message))).toEqual({
      ...message,
      result: { ...message.result, content: [...message.result.content, { type: 'text', text: 'added' }] },
    });
  });

  it('turns raw line breaks between tokens into spaces, so a large part can go on a line or in an SSE event', () => {
    const pretty = JSON.stringify({ jsonrpc: '2.0', method: 'tools/call', params: { name: 'x', arguments: { text } } }, null, 1);
    const value = (frameOf(pretty, 1000).end() as { value: Message }).value;
    const out = framed('data: ', wireOf(value), '\n\n');
    expect(typeof out).toBe('object');
    const joined = wireText(value);
    expect(joined.includes('\n')).toBe(false);
    expect(JSON.parse(joined)).toEqual(JSON.parse(pretty));
  });

  it('keeps __proto__ an own member and the last of a repeated key, as JSON.parse does', () => {
    const arr = `[${'1,'.repeat(LAZY_MEMBER_BYTES)}1]`;
    const text2 = `{"jsonrpc":"2.0","id":1,"id":2,"result":{"__proto__":{"x":1},"a":${arr},"a":${arr}}}`;
    const value = (frameOf(text2, 999).end() as { value: Record<string, unknown> }).value;
    expect(value).toEqual(JSON.parse(text2));
    expect(Object.getPrototypeOf(value.result)).toBe(Object.prototype);
  });

  it('answers a parse error for a frame that is not JSON, naming the byte', () => {
    const bad = frameOf(`{"jsonrpc":"2.0","id":1,"result":{"a":"${'x'.repeat(1000)}}`).end();
    expect(bad).toEqual({ ok: false, reason: expect.stringMatching(/^Parse error: .*byte \d+/), head: expect.stringMatching(/^\{"jsonrpc":"2.0","id":1/) });
  });

  it('parses a frame that is not an object whole, as a small one is', () => {
    expect(frameOf('[1,2]').end()).toEqual({ ok: true, value: [1, 2] });
  });
});

describe('a frame of many tiny members', () => {
  it('notes no more than MAX_MEMBERS spans and parses such a frame whole, to the same value', () => {
    const members = Object.fromEntries(Array.from({ length: 30_000 }, (_, i) => [`k${i}`, i]));
    const text = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { ...members, big: ['x'.repeat(LAZY_MEMBER_BYTES)] } });
    const frame = frameOf(text, 65536);
    const built = frame.end() as { ok: true; value: { result: { big: unknown } } };
    expect(built.value).toEqual(JSON.parse(text));
    expect(rawOf(built.value.result.big)).toBeUndefined();
  });
});

describe('the count of stand-ins not yet parsed', () => {
  it('goes up when one is made and back down once when it is parsed, so wireOf skips its search when none is left', async () => {
    const { unparsedCount, lazyJson: make } = await import('./lazy.js');
    const json = Buffer.from('[1,2]');
    const before = unparsedCount();
    const value = make([json], json.length, true) as number[];
    expect(unparsedCount()).toBe(before + 1);
    expect(value[1]).toBe(2);
    expect(value[0]).toBe(1);
    expect(unparsedCount()).toBe(before);
  });
});
