import { measured, type TargetFigures } from './figures.js';
import { fmt } from '../cases/stats.js';

/** One row of a Markdown table. */
export const row = (cells: string[]): string => `| ${cells.join(' | ')} |\n`;

/** A difference for the table, with its sign: `+0.012`, `-3`, or "–" when there is none. */
export const signed = (v: number, decimals: number): string => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${fmt(v, decimals)}` : '–');

/** The cell of a target that could not be measured: the first line of why. */
export const notAvailable = (why: string): string => `not available: ${why.split('\n')[0] ?? ''}`;

/**
 * `t` against a baseline, as table cells: its throughput as a multiple of
 * the baseline's, and how much its sequential p50 differs ("0" for the
 * baseline itself; "–" in both when the baseline was not measured).
 */
export function versus(t: TargetFigures, base: TargetFigures | undefined): { times: string; seqP50: string } {
  const times = measured(base) ? t.reqPerSec / base.reqPerSec : Number.NaN;
  const d = measured(base) ? t.seqP50 - base.seqP50 : Number.NaN;
  return { times: fmt(times, 2), seqP50: t.key === base?.key ? '0' : signed(d, 3) };
}
