// A large object or array kept as the bytes it came in, parsed only if something looks inside.

interface Held {
  /** The value's JSON, as it came off the wire (never a copy of it). */
  pieces: Buffer[];
  bytes: number;
  /** What the proxy stands for once parsed; empty until then. */
  target: object;
  parsed: boolean;
}

const held = new WeakMap<object, Held>();

/**
 * Stand-ins made and not yet parsed nor collected. While it is 0 (nearly
 * always) `wireOf` need not look for any: that keeps the hot path of small
 * messages free of the search.
 */
let unparsed = 0;
const collected = new FinalizationRegistry<Held>((state) => {
  if (!state.parsed) unparsed--;
});

/** Stand-ins that may still be unparsed somewhere (made, not parsed, not yet seen collected). */
export const unparsedCount = (): number => unparsed;

function parse(state: Held): void {
  if (state.parsed) return;
  state.parsed = true;
  unparsed--;
  const value = JSON.parse(Buffer.concat(state.pieces, state.bytes).toString('utf8')) as unknown;
  state.pieces = [];
  if (Array.isArray(state.target) && Array.isArray(value)) {
    for (const item of value) state.target.push(item);
    return;
  }
  // Defined, not assigned: a key named `__proto__` stays an own property, as JSON.parse makes it.
  for (const key of Object.keys(value as object)) {
    Object.defineProperty(state.target, key, { value: (value as Record<string, unknown>)[key], writable: true, enumerable: true, configurable: true });
  }
}

/**
 * A stand-in for the object or array whose JSON is `pieces` (already checked
 * to be one): a Proxy over an empty object or array that parses the bytes
 * the first time anything reads, lists, writes or deletes a property, and
 * from then on is that value. Until then a transport can send the bytes as
 * they came (`rawOf`), so a result of many megabytes that no middleware
 * looks into crosses the proxy without being parsed, stringified or copied.
 * `typeof`, `Array.isArray` and passing the reference around do not parse.
 */
export function lazyJson(pieces: Buffer[], bytes: number, array: boolean): object {
  const state: Held = { pieces, bytes, target: array ? [] : {}, parsed: false };
  const proxy = new Proxy(state.target, {
    get: (t, key) => (parse(state), Reflect.get(t, key)),
    set: (t, key, value) => (parse(state), Reflect.set(t, key, value)),
    has: (t, key) => (parse(state), Reflect.has(t, key)),
    ownKeys: (t) => (parse(state), Reflect.ownKeys(t)),
    getOwnPropertyDescriptor: (t, key) => (parse(state), Reflect.getOwnPropertyDescriptor(t, key)),
    defineProperty: (t, key, desc) => (parse(state), Reflect.defineProperty(t, key, desc)),
    deleteProperty: (t, key) => (parse(state), Reflect.deleteProperty(t, key)),
  });
  held.set(proxy, state);
  unparsed++;
  collected.register(proxy, state);
  return proxy;
}

/** The bytes of a stand-in nothing has looked into yet, or undefined (for anything else, or once it was parsed). */
export function rawOf(value: unknown): { pieces: Buffer[]; bytes: number } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const state = held.get(value);
  return state === undefined || state.parsed ? undefined : state;
}

/**
 * Whether `value` may hold any of `needles` in its JSON, without parsing
 * it: true for anything that is not a stand-in still unparsed (that must be
 * looked into the usual way), and for a stand-in whose bytes hold a needle
 * or any `\u` escape (a needle could be spelled with one). False only when
 * none can be there, so a middleware looking for, say, resource links in a
 * 50 MB result can leave it unparsed.
 */
export function mayHold(value: unknown, ...needles: string[]): boolean {
  const raw = rawOf(value);
  if (raw === undefined) return true;
  const wanted = [...needles, '\\u'].map((n) => Buffer.from(n));
  const overlap = Math.max(...wanted.map((n) => n.length)) - 1;
  let carry: Buffer = Buffer.alloc(0);
  for (const piece of raw.pieces) {
    // A needle cut by a piece boundary is found in the carried end of the piece before.
    const edge = Buffer.concat([carry, piece.subarray(0, overlap)]);
    if (wanted.some((n) => piece.includes(n) || edge.includes(n))) return true;
    carry = piece.subarray(Math.max(0, piece.length - overlap));
  }
  return false;
}
