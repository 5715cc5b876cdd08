// One large frame (a stdio line, an HTTP body, an SSE event) read a chunk at a time into a message whose large parts stay bytes.
import { lazyJson } from './lazy.js';
import { JsonScanner, type MemberSpan } from './scanner.js';

/** A frame past this many bytes is checked as it arrives and built by `LargeFrame`; smaller ones are simply parsed. */
export const LARGE_FRAME_BYTES = 1024 * 1024;
/** A member of `result`, `params` or `error` at least this large, and an object or array, is kept as bytes (`lazyJson`). */
export const LAZY_MEMBER_BYTES = 64 * 1024;

/** The members whose own members may be kept as bytes: where MCP carries what is large (content, contents, arguments, data). */
const CONTAINERS = new Set(['result', 'params', 'error']);

/** A built frame, or why it is not JSON with its first bytes (for a log). */
export type FrameResult = { ok: true; value: unknown } | { ok: false; reason: string; head: string };

/** How much of a refused frame's start is kept for the log. */
const HEAD_BYTES = 256;

/**
 * Takes the chunks of one frame as they come (references, never copies),
 * checks them against the JSON grammar on the way (`JsonScanner`, so the
 * work is spread over the frame's arrival), and at the end builds the
 * message: its small members parsed, each large object or array inside
 * `result`, `params` or `error` left as a `lazyJson` over the very chunks
 * it arrived in. A frame that is not one JSON object is parsed whole, the
 * way a small one is, so its error reads the same.
 */
export class LargeFrame {
  /** What came so far (references to the chunks as pushed). */
  readonly chunks: Buffer[] = [];
  private readonly scanner = new JsonScanner();
  bytes = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    this.scanner.push(chunk);
  }

  end(): FrameResult {
    if (!this.scanner.end()) return { ok: false, reason: `Parse error: ${this.scanner.fail}`, head: this.head() };
    const reader = new Slicer(this.chunks);
    const first = this.scanner.members[0];
    if (first === undefined || this.scanner.crowded) {
      try {
        return { ok: true, value: JSON.parse(Buffer.concat(this.chunks, this.bytes).toString('utf8')) as unknown };
      } catch (err) {
        return { ok: false, reason: `Parse error: ${err instanceof Error ? err.message : String(err)}`, head: this.head() };
      }
    }
    const message: Record<string, unknown> = {};
    for (const member of this.scanner.members) {
      const key = JSON.parse(reader.text(member.keyStart, member.keyEnd)) as string;
      const opens = reader.byteAt(member.valueStart);
      const value =
        CONTAINERS.has(key) && opens === 0x7b ? container(reader, member.members ?? []) : JSON.parse(reader.text(member.valueStart, member.valueEnd));
      define(message, key, value);
    }
    return { ok: true, value: message };
  }

  /** The frame's first bytes as text. */
  head(): string {
    return new Slicer(this.chunks).text(0, Math.min(HEAD_BYTES, this.bytes));
  }
}

function container(reader: Slicer, members: MemberSpan[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const member of members) {
    const key = JSON.parse(reader.text(member.keyStart, member.keyEnd)) as string;
    const size = member.valueEnd - member.valueStart;
    const opens = reader.byteAt(member.valueStart);
    if (size >= LAZY_MEMBER_BYTES && (opens === 0x7b || opens === 0x5b)) {
      let pieces = reader.slice(member.valueStart, member.valueEnd);
      if (member.newlines) pieces = pieces.map(oneLine);
      define(out, key, lazyJson(pieces, size, opens === 0x5b));
    } else define(out, key, JSON.parse(reader.text(member.valueStart, member.valueEnd)));
  }
  return out;
}

/** As JSON.parse sets a member: the last of a repeated key wins, and `__proto__` is an own property. */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

/** A piece with its CR and LF (whitespace between tokens, never inside a valid string) made spaces, so it can go on one line. */
function oneLine(piece: Buffer): Buffer {
  if (piece.indexOf(0x0a) === -1 && piece.indexOf(0x0d) === -1) return piece;
  const copy = Buffer.from(piece);
  for (let i = 0; i < copy.length; i++) if (copy[i] === 0x0a || copy[i] === 0x0d) copy[i] = 0x20;
  return copy;
}

/** Byte ranges of a frame held as chunks, read in increasing order. */
class Slicer {
  private index = 0;
  private start = 0;

  constructor(private readonly chunks: Buffer[]) {}

  /** The chunks' pieces covering [from, to): subarrays, never copies. */
  slice(from: number, to: number): Buffer[] {
    this.seek(from);
    const out: Buffer[] = [];
    let i = this.index;
    let at = this.start;
    while (at < to && i < this.chunks.length) {
      const chunk = this.chunks[i]!;
      const lo = Math.max(from - at, 0);
      const hi = Math.min(to - at, chunk.length);
      if (hi > lo) out.push(chunk.subarray(lo, hi));
      at += chunk.length;
      i++;
    }
    return out;
  }

  text(from: number, to: number): string {
    const pieces = this.slice(from, to);
    return pieces.length === 1 ? pieces[0]!.toString('utf8') : Buffer.concat(pieces).toString('utf8');
  }

  byteAt(at: number): number {
    this.seek(at);
    return this.chunks[this.index]?.[at - this.start] ?? -1;
  }

  /** Moves to the chunk holding `at` (offsets only grow, but a step back is allowed). */
  private seek(at: number): void {
    if (at < this.start) {
      this.index = 0;
      this.start = 0;
    }
    while (this.index < this.chunks.length && at >= this.start + this.chunks[this.index]!.length) {
      this.start += this.chunks[this.index]!.length;
      this.index++;
    }
  }
}

/**
 * One frame whose end is known by its transport (an HTTP body): its chunks
 * kept as they come, and, once past `LARGE_FRAME_BYTES`, also checked by a
 * `LargeFrame`. `end` parses a small frame whole and builds a large one, so
 * every body reader gets the same value and the same parse errors.
 */
export class JsonBody {
  /** The chunks so far (references), for a caller that also passes the raw body on. */
  readonly chunks: Buffer[] = [];
  bytes = 0;
  private large: LargeFrame | undefined;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    if (this.large !== undefined) this.large.push(chunk);
    else if (this.bytes > LARGE_FRAME_BYTES) {
      this.large = new LargeFrame();
      for (const c of this.chunks) this.large.push(c);
    }
  }

  end(): FrameResult {
    if (this.large !== undefined) return this.large.end();
    const text = Buffer.concat(this.chunks, this.bytes).toString('utf8');
    try {
      return { ok: true, value: JSON.parse(text) as unknown };
    } catch (err) {
      return { ok: false, reason: `Parse error: ${err instanceof Error ? err.message : String(err)}`, head: text.slice(0, HEAD_BYTES) };
    }
  }
}
