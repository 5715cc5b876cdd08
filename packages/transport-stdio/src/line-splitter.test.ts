import { describe, expect, it } from 'vitest';
import { LineSplitter } from './line-splitter.js';

function split(chunks: Array<string | Buffer>, max = 1024) {
  const lines: string[] = [];
  const oversize: number[] = [];
  const splitter = new LineSplitter(max, { line: (t) => lines.push(t), oversize: (n) => oversize.push(n) });
  for (const c of chunks) splitter.push(c);
  return { lines, oversize, rest: splitter.rest() };
}

describe('LineSplitter', () => {
  it('joins a line across chunks and drops the carriage return of CRLF', () => {
    expect(split(['ab', 'c\r', '\nde\n', 'f'])).toEqual({ lines: ['abc', 'de'], oversize: [], rest: 'f' });
  });

  it('keeps a multi-byte character split between chunks whole', () => {
    const bytes = Buffer.from('é\n', 'utf8');
    expect(split([bytes.subarray(0, 1), bytes.subarray(1)]).lines).toEqual(['é']);
  });

  it('skips a line over the limit, reports its size, and reads the next one', () => {
    expect(split(['12345', '6789\nok\n'], 8)).toEqual({ lines: ['ok'], oversize: [9], rest: undefined });
  });

  it('has no rest after a final newline', () => {
    expect(split(['a\n']).rest).toBeUndefined();
  });
});
