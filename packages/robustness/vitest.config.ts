import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

// Every test here runs real mcproxy processes and pushes real bytes through
// them: one file at a time, so the suite's CPU stays modest on a shared
// machine and one test's flood does not skew another's memory reading. The
// timeouts are "no hang" bounds, not speed targets; a long fuzz run
// (FUZZ_RUNS) gets room in proportion.
const runs = Number(process.env.FUZZ_RUNS ?? '0');
const longRun = Number.isFinite(runs) && runs > 100;

export default mergeConfig(shared, defineConfig({
  test: {
    fileParallelism: false,
    testTimeout: longRun ? 30 * 60_000 : 60_000,
    hookTimeout: 30_000,
  },
}));
