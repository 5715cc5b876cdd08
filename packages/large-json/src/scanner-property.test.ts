import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LargeFrame } from './frame.js';
import { JsonScanner } from './scanner.js';

/** The scanner's verdict on `text` fed in chunks of `size` bytes. */
function accepts(text: string, size: number): boolean {
  const scanner = new JsonScanner();
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) scanner.push(bytes.subarray(i, i + size));
  return scanner.end();
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** JSON text, then maybe broken: a character dropped or doubled, or a character or snippet JSON cares about put in. */
const mutated = fc
  .tuple(
    fc.jsonValue(),
    fc.nat(),
    fc.constantFrom('drop', 'double', 'insert', 'keep'),
    fc.constantFrom(
      '"',
      '\\',
      ',',
      ':',
      '{',
      '}',
      '[',
      ']',
      '\n',
      ' ',
      '0',
      '-',
      'e',
      '.',
      't',
      'u',
      '01',
      '-0',
      '1.',
      '.1',
      '1e5',
      '1e',
      '1E+2',
      'tru',
      'null',
      '\\u00e9',
      '\\uZZ',
      '\u0001',
      '"\\x"',
      '[1,]',
      '{"a":1,}',
      '0.0e-0',
      '-01',
    ),
  )
  .map(([value, at, how, ch]) => {
    const text = JSON.stringify(value, null, at % 3 === 0 ? 1 : undefined) ?? 'null';
    const i = text.length === 0 ? 0 : at % text.length;
    if (how === 'drop') return text.slice(0, i) + text.slice(i + 1);
    if (how === 'double') return text.slice(0, i + 1) + text.slice(i);
    if (how === 'insert') return text.slice(0, i) + ch + text.slice(i);
    return text;
  });

describe('JsonScanner against JSON.parse', () => {
  it('accepts exactly what JSON.parse accepts, in chunks of any size', () => {
    fc.assert(
      fc.property(mutated, fc.integer({ min: 1, max: 64 }), (text, size) => {
        expect(accepts(text, size)).toBe(parses(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('builds from any valid message the value JSON.parse gives', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue(), fc.integer({ min: 1, max: 50 }), (params, result, size) => {
        const text = JSON.stringify({ jsonrpc: '2.0', id: 1, params, result, error: { data: params } });
        const frame = new LargeFrame();
        const bytes = Buffer.from(text);
        for (let i = 0; i < bytes.length; i += size) frame.push(bytes.subarray(i, i + size));
        const built = frame.end();
        expect(built.ok).toBe(true);
        expect(JSON.stringify((built as { value: unknown }).value)).toBe(JSON.stringify(JSON.parse(text)));
      }),
      { numRuns: 1000 },
    );
  });
});
