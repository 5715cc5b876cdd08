/** The value below which `p` (0–100) of the samples fall, nearest-rank, from sorted samples. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** Sorts a copy of the samples, numerically. */
export function sorted(samples: ArrayLike<number>): Float64Array {
  return Float64Array.from(samples).sort();
}

/** The median of some values (NaN for none). */
export function median(values: number[]): number {
  const s = sorted(values.filter((v) => Number.isFinite(v)));
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** A number for the table: fixed decimals, or "–" when there is none. */
export function fmt(v: number | undefined, decimals: number): string {
  return v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(decimals);
}
