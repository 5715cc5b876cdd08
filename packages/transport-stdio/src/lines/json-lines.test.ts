import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Message } from '@mcproxy/core';
import { LARGE_FRAME_BYTES, rawOf } from '@mcproxy/large-json';
import { readJsonLines, writeJsonLine } from './json-lines.js';

interface Read {
  values: unknown[];
  bad: string[];
  oversize: number[];
}

/** Reads `input` (written in 64 KiB chunks, as a pipe delivers) with a line limit of `max`. */
function read(input: Buffer, max: number): Read {
  const stream = new PassThrough();
  const got: Read = { values: [], bad: [], oversize: [] };
  readJsonLines(stream, max, {
    value: (v) => got.values.push(v),
    bad: (reason) => got.bad.push(reason),
    oversize: (bytes) => got.oversize.push(bytes),
    failed: (err) => got.bad.push(String(err)),
  });
  for (let i = 0; i < input.length; i += 65536) stream.write(input.subarray(i, i + 65536));
  return got;
}

const answer = (text: string, id = 4) => ({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text }], isError: false } });

describe('large lines', () => {
  const text = 'x'.repeat(LARGE_FRAME_BYTES * 3);
  const line = Buffer.from(`${JSON.stringify(answer(text))}\n{"jsonrpc":"2.0","method":"notifications/x"}\n`);

  it('reads a line past LARGE_FRAME_BYTES with its content kept as the bytes it came in, and the next line as usual', async () => {
    const got = read(line, 64 * 1024 * 1024);
    await new Promise((r) => setImmediate(r));
    expect(got.bad).toEqual([]);
    expect(got.values).toHaveLength(2);
    const first = got.values[0] as ReturnType<typeof answer>;
    expect(first.result.isError).toBe(false);
    expect(rawOf(first.result.content)?.bytes).toBe(Buffer.byteLength(JSON.stringify(answer(text).result.content)));
    expect(got.values[1]).toEqual({ jsonrpc: '2.0', method: 'notifications/x' });
    // Looking inside still gives the value.
    expect(first.result.content[0]?.text.length).toBe(text.length);
  });

  it('writes such a message back out byte for byte, under another id, without having parsed it', async () => {
    const got = read(line, 64 * 1024 * 1024);
    const first = got.values[0] as ReturnType<typeof answer>;
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    await writeJsonLine(out, { jsonrpc: '2.0', id: 'client-9', result: first.result } as Message);
    expect(rawOf(first.result.content)).toBeDefined();
    expect(Buffer.concat(chunks).toString()).toBe(`${JSON.stringify(answer(text, 'client-9' as unknown as number))}\n`);
  });

  it('answers a large line that is not JSON as a parse error that names the byte', async () => {
    const broken = Buffer.from(`{"jsonrpc":"2.0","id":1,"result":{"text":"${'y'.repeat(LARGE_FRAME_BYTES * 2)}"]}\n`);
    const got = read(broken, 64 * 1024 * 1024);
    expect(got.values).toEqual([]);
    expect(got.bad).toEqual([expect.stringMatching(/^Parse error: .*\(byte \d+\)$/)]);
  });

  it('still skips a large line past the limit without keeping it', async () => {
    const got = read(line, LARGE_FRAME_BYTES * 2);
    expect(got.values).toEqual([{ jsonrpc: '2.0', method: 'notifications/x' }]);
    expect(got.oversize).toEqual([line.indexOf('\n')]);
  });
});
