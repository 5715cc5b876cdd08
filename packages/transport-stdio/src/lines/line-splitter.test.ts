import { describe, expect, it } from 'vitest';
import { EDGE_BYTES, LineSplitter, type LineEdges } from './line-splitter.js';

function split(chunks: Array<string | Buffer>, max = 1024) {
  const lines: string[] = [];
  const oversize: number[] = [];
  const edges: LineEdges[] = [];
  const splitter = new LineSplitter(max, {
    line: (t) => lines.push(t),
    oversize: (n, e) => {
      oversize.push(n);
      edges.push(e);
    },
  });
  for (const c of chunks) splitter.push(c);
  return { lines, oversize, rest: splitter.rest(), edges };
}

describe('LineSplitter', () => {
  it('joins a line across chunks and drops the carriage return of CRLF', () => {
    expect(split(['ab', 'c\r', '\nde\n', 'f'])).toMatchObject({ lines: ['abc', 'de'], oversize: [], rest: 'f' });
  });

  it('keeps a multi-byte character split between chunks whole', () => {
    const bytes = Buffer.from('é\n', 'utf8');
    expect(split([bytes.subarray(0, 1), bytes.subarray(1)]).lines).toEqual(['é']);
  });

  it('skips a line over the limit, reports its size, and reads the next one', () => {
    expect(split(['12345', '6789\nok\n'], 8)).toMatchObject({ lines: ['ok'], oversize: [9], rest: undefined });
  });

  it('has no rest after a final newline', () => {
    expect(split(['a\n']).rest).toBeUndefined();
  });

  it('keeps only the two edges of a skipped line, however it arrives', () => {
    const line = `HEAD${'x'.repeat(10_000)}TAIL`;
    const chunks = line.match(/.{1,7}/gs)!.concat('\r\n', 'next\n');
    const { lines, oversize, edges } = split(chunks, 1000);
    expect(lines).toEqual(['next']);
    expect(oversize).toEqual([line.length + 1]);
    expect(edges[0]!.head).toBe(line.slice(0, EDGE_BYTES));
    expect(edges[0]!.tail).toBe(line.slice(-EDGE_BYTES + 1));
  });
});
