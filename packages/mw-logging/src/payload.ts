/** Put where a string was cut. */
export const CUT = '…[truncated]';

/** A payload ready to log, with its full size when it had to be cut. */
export interface Capped {
  value: unknown;
  /** Bytes of JSON before cutting, when it was cut. */
  cutFrom?: number;
}

interface Budget {
  left: number;
}

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** The first `n` bytes of `s`, never splitting a character. */
function head(s: string, n: number): string {
  const cut = Buffer.from(s, 'utf8').subarray(0, Math.max(0, n)).toString('utf8');
  return cut.endsWith('\uFFFD') && !s.startsWith(cut) ? cut.slice(0, -1) : cut;
}

function shrink(value: unknown, budget: Budget): unknown {
  if (typeof value === 'string') {
    const cost = bytes(value) + 2;
    if (cost <= budget.left) {
      budget.left -= cost;
      return value;
    }
    const keep = budget.left - 2 - bytes(CUT);
    budget.left = 0;
    return `${head(value, keep)}${CUT}`;
  }
  if (Array.isArray(value)) {
    budget.left -= 2;
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) {
      if (budget.left <= 0) {
        out.push(`${CUT} ${value.length - i} more item(s)`);
        break;
      }
      out.push(shrink(value[i], budget));
      budget.left -= 1;
    }
    return out;
  }
  if (typeof value === 'object' && value !== null) {
    budget.left -= 2;
    const out: Record<string, unknown> = {};
    const entries = Object.entries(value);
    for (let i = 0; i < entries.length; i++) {
      const [key, inner] = entries[i] as [string, unknown];
      if (budget.left <= 0) {
        out[CUT] = `${entries.length - i} more key(s)`;
        break;
      }
      budget.left -= bytes(key) + 4;
      out[key] = shrink(inner, budget);
    }
    return out;
  }
  budget.left -= bytes(JSON.stringify(value) ?? '');
  return value;
}

/**
 * Cuts a payload down to about `max` bytes of JSON. The cut keeps the shape:
 * strings are shortened and later keys and items dropped, but every key that
 * is kept stays where it was. That is what lets pino's redaction still find
 * `params.arguments.password` in a cut payload, so a secret can be cut short
 * but never slips out as part of a flattened string.
 */
export function capPayload(value: unknown, max: number): Capped {
  const size = bytes(JSON.stringify(value) ?? '');
  if (size <= max) return { value };
  return { value: shrink(value, { left: max }), cutFrom: size };
}
