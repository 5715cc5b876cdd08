import { LARGE_FRAME_BYTES, LargeFrame, type FrameResult } from '@mcproxy/large-json';

const NEWLINE = 0x0a;
const EMPTY = Buffer.alloc(0);
/** How much of each end of a skipped line is kept: enough to find a JSON-RPC id at either end. */
export const EDGE_BYTES = 256;

/** The first and last bytes of a skipped line, as text (a character cut in two shows as U+FFFD). */
export interface LineEdges {
  head: string;
  tail: string;
}

/** What a splitter does with each complete line, and with a line too long to keep. */
export interface LineHandlers {
  line(text: string): void;
  /** A line passed `maxBytes`: its bytes were dropped, up to and including its newline; only its edges were kept. */
  oversize(bytes: number, edges: LineEdges): void;
  /** The line being read has just passed `maxBytes` (its end, and `oversize`, may never come): its first bytes. */
  overflow?(head: string): void;
  /**
   * Set when lines are JSON: a line past `LARGE_FRAME_BYTES` is not joined
   * into text but checked as it arrives and built by `LargeFrame`, and
   * comes here instead of `line`.
   */
  frame?(result: FrameResult): void;
}

/**
 * Cuts a byte stream into lines (`\n`, with a `\r` before it dropped). Chunks
 * are only joined when a line is complete, so a long line arriving in many
 * small chunks costs one copy, not one per chunk. A line longer than
 * `maxBytes` is skipped rather than buffered, so a peer that never writes a
 * newline cannot grow our memory without bound: at most one line of up to
 * `maxBytes`, or the two edges of a skipped one, is ever held.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private skipping = false;
  private head = EMPTY;
  private tail = EMPTY;
  /** The line being read, once it is large and lines are JSON. */
  private large: LargeFrame | undefined;

  constructor(
    private readonly maxBytes: number,
    private readonly handlers: LineHandlers,
  ) {}

  /** Feeds one chunk; calls `line` for every line it completes. */
  push(chunk: Buffer | string): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    for (let nl = bytes.indexOf(NEWLINE); nl !== -1; nl = bytes.indexOf(NEWLINE, start)) {
      this.take(bytes.subarray(start, nl));
      start = nl + 1;
      this.finishLine();
    }
    this.take(bytes.subarray(start));
  }

  /** The bytes after the last newline (a line the stream never finished), and forgets them. */
  rest(): string | undefined {
    const parts = this.large?.chunks ?? this.parts;
    const text = this.size === 0 || this.skipping ? undefined : stripCr(Buffer.concat(parts).toString('utf8'));
    this.reset();
    return text;
  }

  private take(piece: Buffer): void {
    if (piece.length === 0) return;
    this.size += piece.length;
    if (this.skipping) {
      this.keepTail(piece);
      return;
    }
    if (this.size > this.maxBytes) {
      // From here on only the edges are kept (copies, so the chunks can go; never a copy of the line).
      const pieces = [...(this.large?.chunks ?? this.parts), piece];
      this.large = undefined;
      this.head = Buffer.from(Buffer.concat(pieces.slice(0, firstCovering(pieces))).subarray(0, EDGE_BYTES));
      this.tail = EMPTY;
      for (const p of pieces.slice(lastCovering(pieces))) this.keepTail(p);
      this.skipping = true;
      this.parts = [];
      this.handlers.overflow?.(this.head.toString('utf8'));
      return;
    }
    if (this.large !== undefined) {
      this.large.push(piece);
      return;
    }
    this.parts.push(piece);
    if (this.size > LARGE_FRAME_BYTES && this.handlers.frame !== undefined) {
      this.large = new LargeFrame();
      for (const part of this.parts) this.large.push(part);
      this.parts = [];
    }
  }

  private keepTail(piece: Buffer): void {
    const joined = piece.length >= EDGE_BYTES ? piece : Buffer.concat([this.tail, piece]);
    this.tail = Buffer.from(joined.subarray(Math.max(0, joined.length - EDGE_BYTES)));
  }

  private finishLine(): void {
    const { skipping, size, head, tail, large } = this;
    const { parts } = this;
    // One chunk (the usual small line) is decoded where it lies; only a line cut across chunks is joined.
    const text = skipping || large !== undefined ? '' : stripCr((parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size)).toString('utf8'));
    this.reset();
    // Reset before calling out: a handler may push more data re-entrantly.
    if (skipping) this.handlers.oversize(size, { head: head.toString('utf8'), tail: stripCr(tail.toString('utf8')) });
    else if (large !== undefined) this.handlers.frame?.(large.end());
    else this.handlers.line(text);
  }

  private reset(): void {
    this.parts = [];
    this.size = 0;
    this.skipping = false;
    this.head = EMPTY;
    this.tail = EMPTY;
    this.large = undefined;
  }
}

/** How many pieces from the start hold at least `EDGE_BYTES` (or all of them). */
function firstCovering(pieces: Buffer[]): number {
  let bytes = 0;
  for (let i = 0; i < pieces.length; i++) if ((bytes += pieces[i]!.length) >= EDGE_BYTES) return i + 1;
  return pieces.length;
}

/** The index from which the pieces to the end hold at least `EDGE_BYTES` (or 0). */
function lastCovering(pieces: Buffer[]): number {
  let bytes = 0;
  for (let i = pieces.length - 1; i >= 0; i--) if ((bytes += pieces[i]!.length) >= EDGE_BYTES) return i;
  return 0;
}

const stripCr = (text: string): string => (text.endsWith('\r') ? text.slice(0, -1) : text);
