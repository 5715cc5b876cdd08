import type { Parameters } from 'fast-check';

/**
 * How many cases each property tries: small by default so `pnpm test` stays
 * within CI's budget, large for `pnpm fuzz` (FUZZ_RUNS=400 or more). A failing
 * run prints its seed; FUZZ_SEED replays it.
 */
export const FUZZ_RUNS = Math.max(1, Number(process.env.FUZZ_RUNS ?? '25') || 25);
const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

export function fuzzParams<T>(scale = 1): Parameters<T> {
  return { numRuns: Math.max(1, Math.round(FUZZ_RUNS * scale)), endOnFailure: true, ...(seed === undefined ? {} : { seed }) };
}
