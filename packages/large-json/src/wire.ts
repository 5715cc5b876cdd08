// A message as the bytes to send: one string, or, when it carries large parts still as bytes, pieces that splice them in.
import type { Writable } from 'node:stream';
import { jsonOf, type Message } from '@mcproxy/core';
import { rawOf, unparsedCount } from './lazy.js';

/** A message's JSON in order: strings we wrote and the byte pieces it arrived in. */
export interface Pieces {
  pieces: (string | Buffer)[];
  /** Their length in bytes (UTF-8). */
  bytes: number;
}

/** What `wireOf` gives: plain JSON text, or pieces. */
export type Wire = string | Pieces;

/** How deep `wireOf` looks for parts kept as bytes: the message's own members and theirs, where `LargeFrame` leaves them. */
const DEPTH = 2;

function carries(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (rawOf(value) !== undefined) return true;
  if (depth === DEPTH || Array.isArray(value)) return false;
  for (const key in value) if (carries((value as Record<string, unknown>)[key], depth + 1)) return true;
  return false;
}

/**
 * The message as it goes on the wire. Without large parts (nearly always)
 * it is `jsonOf`'s text. With them, the JSON is written around them and
 * their bytes are spliced in as they came, so sending a 50 MB result costs
 * no parse, no stringify and no copy. The output is the same JSON text
 * `JSON.stringify` would give, up to the whitespace inside the large parts.
 */
export function wireOf(message: Message): Wire {
  if (unparsedCount() === 0 || !carries(message, 0)) return jsonOf(message);
  const out: Pieces = { pieces: [], bytes: 0 };
  let text = '';
  const flush = (): void => {
    if (text === '') return;
    out.pieces.push(text);
    out.bytes += Buffer.byteLength(text);
    text = '';
  };
  const write = (value: unknown, depth: number): boolean => {
    const raw = rawOf(value);
    if (raw !== undefined) {
      flush();
      out.pieces.push(...raw.pieces);
      out.bytes += raw.bytes;
      return true;
    }
    if (depth === DEPTH || typeof value !== 'object' || value === null || Array.isArray(value) || !carries(value, depth)) {
      const json = JSON.stringify(value) as string | undefined;
      if (json === undefined) return false;
      text += json;
      return true;
    }
    text += '{';
    let first = true;
    for (const key of Object.keys(value)) {
      const mark = text.length;
      text += `${first ? '' : ','}${JSON.stringify(key)}:`;
      // A member JSON would leave out (undefined, a function) is taken back with its key (nothing was flushed for it).
      if (write((value as Record<string, unknown>)[key], depth + 1)) first = false;
      else text = text.slice(0, mark);
    }
    text += '}';
    return true;
  };
  write(message, 0);
  flush();
  return out;
}

/** The byte length of what `wireOf` gave. */
export const wireBytes = (wire: Wire): number => (typeof wire === 'string' ? Buffer.byteLength(wire) : wire.bytes);

/** `before`, the wire, then `after`, as one wire (an SSE event around a message, a line and its newline). */
export function framed(before: string, wire: Wire, after: string): Wire {
  if (typeof wire === 'string') return `${before}${wire}${after}`;
  return { pieces: [before, ...wire.pieces, after], bytes: Buffer.byteLength(before) + wire.bytes + Buffer.byteLength(after) };
}

/**
 * Writes a wire to a stream. Pieces go one by one, each a reference to the
 * bytes it came in (a stream queues what its reader has not taken; it does
 * not copy it), with `done` called once the last is taken.
 */
export function writeWire(output: Writable, wire: Wire, done?: (err?: Error | null) => void): void {
  if (typeof wire === 'string') {
    output.write(wire, done);
    return;
  }
  const last = wire.pieces.length - 1;
  for (let i = 0; i <= last; i++) output.write(wire.pieces[i]!, i === last ? done : undefined);
}
