// An incremental JSON checker that notes where the members of a message and of its result or params begin and end.

/** Where one member's key and value lie, as absolute byte offsets into the frame. */
export interface MemberSpan {
  keyStart: number;
  keyEnd: number;
  valueStart: number;
  valueEnd: number;
  /** Raw CR or LF (whitespace between tokens) inside the value: copied out before the bytes go on a line or an SSE event. */
  newlines: boolean;
  /** Members of this value, when it is an object one level down (a message's `result` or `params`). */
  members?: MemberSpan[];
}

enum S {
  Value,
  ValueOrEnd,
  Key,
  KeyOrEnd,
  Colon,
  After,
  Str,
  Escape,
  Hex,
  Num,
  Literal,
  Done,
}

enum N {
  Minus,
  Zero,
  Int,
  Dot,
  Frac,
  E,
  ESign,
  Exp,
}

/** Members noted, at both levels together; past it none are (`crowded`), so a frame of millions of tiny members cannot make millions of spans. */
export const MAX_MEMBERS = 10_000;
/** Deeper nesting than this is refused: the stack must stay small whatever a peer sends. */
const MAX_DEPTH = 1000;
const OBJ = 1;
const ARR = 2;

const isWs = (b: number): boolean => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;
const isHex = (b: number): boolean => isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);

/**
 * Checks bytes against the JSON grammar as they arrive, a chunk at a time,
 * so a frame of many megabytes is never checked in one long stretch that
 * would hold up every other session. On the way it notes the spans of the
 * top-level members and, one level down, of the members of every object
 * value (where `result` and `params` keep what is large). `fail` is the
 * first error; once set, the rest is ignored.
 */
export class JsonScanner {
  readonly members: MemberSpan[] = [];
  fail: string | undefined;
  /** More than `MAX_MEMBERS` members: the spans are incomplete, and the frame must be parsed whole. */
  crowded = false;
  private noted = 0;
  private state = S.Value;
  private readonly stack: number[] = [];
  private pos = 0;
  private inKey = false;
  private hexLeft = 0;
  private num = N.Minus;
  private literal = '';
  private literalAt = 0;
  private open: MemberSpan | undefined;
  private inner: MemberSpan | undefined;

  /** Checks one chunk. */
  push(chunk: Buffer): void {
    const base = this.pos;
    this.pos += chunk.length;
    if (this.fail !== undefined) return;
    for (let i = 0; i < chunk.length; i++) {
      let b = chunk[i]!;
      if (this.state === S.Str) {
        // The long stretch of any large message: string bytes, checked in a tight loop.
        while (b !== 0x22 && b !== 0x5c && b >= 0x20) {
          if (++i === chunk.length) return;
          b = chunk[i]!;
        }
        if (b < 0x20) {
          this.stop('a control character inside a string', base + i);
          return;
        }
        if (b === 0x5c) this.state = S.Escape;
        else this.endString(base + i + 1);
        continue;
      }
      if (!this.step(b, base + i)) return;
    }
  }

  /** The frame is over: true when it held exactly one complete JSON value. */
  end(): boolean {
    if (this.fail !== undefined) return false;
    if (this.state === S.Num && this.num !== N.Minus && this.num !== N.Dot && this.num !== N.E && this.num !== N.ESign && this.stack.length === 0) {
      this.state = S.Done;
    }
    if (this.state !== S.Done) this.stop('the JSON text ends early', this.pos);
    return this.fail === undefined;
  }

  private stop(why: string, at: number): void {
    this.fail = `${why} (byte ${at})`;
  }

  /** One byte outside a string's body; false once the text is refused. */
  private step(b: number, at: number): boolean {
    switch (this.state) {
      case S.Escape:
        if (b === 0x75) {
          this.state = S.Hex;
          this.hexLeft = 4;
        } else if (b === 0x22 || b === 0x5c || b === 0x2f || b === 0x62 || b === 0x66 || b === 0x6e || b === 0x72 || b === 0x74) this.state = S.Str;
        else return this.refuse('a bad escape in a string', at);
        return true;
      case S.Hex:
        if (!isHex(b)) return this.refuse('a bad \\u escape in a string', at);
        if (--this.hexLeft === 0) this.state = S.Str;
        return true;
      case S.Num:
        if (this.number(b)) return true;
        if (this.num === N.Minus || this.num === N.Dot || this.num === N.E || this.num === N.ESign) return this.refuse('a number ends early', at);
        this.endValue(at);
        return this.step(b, at);
      case S.Literal:
        if (b !== this.literal.charCodeAt(this.literalAt)) return this.refuse('an unknown word', at);
        if (++this.literalAt === this.literal.length) this.endValue(at + 1);
        return true;
      case S.Done:
        return isWs(b) || this.refuse('more after the JSON value', at);
      default:
        break;
    }
    if (isWs(b)) {
      if ((b === 0x0a || b === 0x0d) && this.stack.length >= 2) this.markNewline();
      return true;
    }
    switch (this.state) {
      case S.Value:
      case S.ValueOrEnd:
        if (b === 0x5d && this.state === S.ValueOrEnd) return this.close(ARR, at);
        return this.value(b, at);
      case S.Key:
      case S.KeyOrEnd:
        if (b === 0x7d && this.state === S.KeyOrEnd) return this.close(OBJ, at);
        if (b !== 0x22) return this.refuse('a key must be a string', at);
        this.inKey = true;
        this.state = S.Str;
        this.beginKey(at);
        return true;
      case S.Colon:
        if (b !== 0x3a) return this.refuse('a colon must follow a key', at);
        this.state = S.Value;
        return true;
      case S.After: {
        const top = this.stack[this.stack.length - 1];
        if (b === 0x2c) this.state = top === OBJ ? S.Key : S.Value;
        else if (b === 0x7d && top === OBJ) return this.close(OBJ, at);
        else if (b === 0x5d && top === ARR) return this.close(ARR, at);
        else return this.refuse('a comma or a closing bracket was expected', at);
        return true;
      }
      default:
        return this.refuse('unexpected byte', at);
    }
  }

  private refuse(why: string, at: number): false {
    this.stop(why, at);
    return false;
  }

  private value(b: number, at: number): boolean {
    this.beginValue(at);
    if (b === 0x7b || b === 0x5b) {
      if (this.stack.length >= MAX_DEPTH) return this.refuse(`nesting deeper than ${MAX_DEPTH}`, at);
      this.stack.push(b === 0x7b ? OBJ : ARR);
      this.state = b === 0x7b ? S.KeyOrEnd : S.ValueOrEnd;
      return true;
    }
    if (b === 0x22) {
      this.inKey = false;
      this.state = S.Str;
      return true;
    }
    if (b === 0x2d || isDigit(b)) {
      this.state = S.Num;
      this.num = b === 0x2d ? N.Minus : b === 0x30 ? N.Zero : N.Int;
      return true;
    }
    const word = b === 0x74 ? 'true' : b === 0x66 ? 'false' : b === 0x6e ? 'null' : undefined;
    if (word === undefined) return this.refuse('a value was expected', at);
    this.literal = word;
    this.literalAt = 1;
    this.state = S.Literal;
    return true;
  }

  /** Takes `b` into the number being read, or says it is not part of it. */
  private number(b: number): boolean {
    const d = isDigit(b);
    switch (this.num) {
      case N.Minus:
        if (!d) return false;
        this.num = b === 0x30 ? N.Zero : N.Int;
        return true;
      case N.Zero:
      case N.Int:
        if (d && this.num === N.Int) return true;
        if (b === 0x2e) this.num = N.Dot;
        else if (b === 0x65 || b === 0x45) this.num = N.E;
        else return false;
        return true;
      case N.Dot:
      case N.Frac:
        if (d) this.num = N.Frac;
        else if (this.num === N.Frac && (b === 0x65 || b === 0x45)) this.num = N.E;
        else return false;
        return true;
      case N.E:
        if (b === 0x2b || b === 0x2d) this.num = N.ESign;
        else if (d) this.num = N.Exp;
        else return false;
        return true;
      default:
        if (!d) return false;
        this.num = N.Exp;
        return true;
    }
  }

  private close(kind: number, at: number): boolean {
    if (this.stack.pop() !== kind) return this.refuse('brackets do not match', at);
    this.endValue(at + 1);
    return true;
  }

  private endString(after: number): void {
    if (this.inKey) {
      this.inKey = false;
      this.state = S.Colon;
      this.endKey(after);
    } else this.endValue(after);
  }

  /** A value ended just before `after`: note it where it is a member we track. */
  private endValue(after: number): void {
    const depth = this.stack.length;
    this.state = depth === 0 ? S.Done : S.After;
    if (depth === 1 && this.open !== undefined && this.open.valueEnd < 0) {
      this.open.valueEnd = after;
      this.open = undefined;
    } else if (depth === 2 && this.inner !== undefined && this.inner.valueEnd < 0) {
      this.inner.valueEnd = after;
      this.inner = undefined;
    }
  }

  private beginKey(at: number): void {
    const depth = this.stack.length;
    if (depth <= 2 && ++this.noted > MAX_MEMBERS) this.crowded = true;
    if (this.crowded) {
      this.open = undefined;
      this.inner = undefined;
      return;
    }
    const span: MemberSpan = { keyStart: at, keyEnd: -1, valueStart: -1, valueEnd: -1, newlines: false };
    if (depth === 1) {
      this.open = span;
      this.members.push(span);
    } else if (depth === 2 && this.open !== undefined && this.stack[0] === OBJ) {
      this.inner = span;
      (this.open.members ??= []).push(span);
    }
  }

  private endKey(after: number): void {
    const depth = this.stack.length;
    if (depth === 1 && this.open !== undefined) this.open.keyEnd = after;
    else if (depth === 2 && this.inner !== undefined) this.inner.keyEnd = after;
  }

  private beginValue(at: number): void {
    const depth = this.stack.length;
    if (depth === 1 && this.open !== undefined && this.open.valueStart < 0) this.open.valueStart = at;
    else if (depth === 2 && this.inner !== undefined && this.inner.valueStart < 0) this.inner.valueStart = at;
  }

  private markNewline(): void {
    if (this.inner !== undefined) this.inner.newlines = true;
    if (this.open !== undefined) this.open.newlines = true;
  }
}
