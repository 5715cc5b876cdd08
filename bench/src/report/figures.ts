import type { LoadResult } from '../cases/load.js';
import type { SequentialResult } from '../cases/sequential.js';
import { median } from '../cases/stats.js';
import type { TargetKey } from '../targets/targets.js';

/** One target's figures: medians over the rounds, errors summed. */
export interface TargetFigures {
  key: TargetKey;
  label: string;
  /** Set when the target could not be started or measured. */
  unavailable?: string;
  reqPerSec: number;
  p50: number;
  p99: number;
  cpuUsPerReq: number;
  /** The front process's own share of `cpuUsPerReq` (the proxy, or a server served directly). */
  frontCpuUsPerReq: number;
  seqP50: number;
  seqP99: number;
  /** Everything that was not a correct answer: non-2xx, socket errors, JSON-RPC errors, wrong answers, failed sequential calls. */
  problems: number;
  firstProblem?: string | undefined;
  rounds: Array<{ load: LoadResult; sequential: SequentialResult }>;
}

/** A target's figures from its rounds: medians, and every problem counted. */
export function figures(key: TargetKey, label: string, rounds: TargetFigures['rounds']): TargetFigures {
  const problems = rounds.reduce((n, r) => n + r.load.non2xx + r.load.errors + r.load.rpcErrors + r.load.wrong + r.sequential.failures, 0);
  const firstProblem = rounds.map((r) => r.load.firstProblem ?? r.sequential.firstProblem).find((p) => p !== undefined);
  return {
    key,
    label,
    reqPerSec: median(rounds.map((r) => r.load.reqPerSec)),
    p50: median(rounds.map((r) => r.load.p50)),
    p99: median(rounds.map((r) => r.load.p99)),
    cpuUsPerReq: median(rounds.map((r) => r.load.cpuUsPerReq)),
    frontCpuUsPerReq: median(rounds.map((r) => r.load.frontCpuUsPerReq)),
    seqP50: median(rounds.map((r) => r.sequential.p50)),
    seqP99: median(rounds.map((r) => r.sequential.p99)),
    problems,
    firstProblem,
    rounds,
  };
}

/** A target that was in the run and measured (not `unavailable`). */
export const measured = (f: TargetFigures | undefined): f is TargetFigures => f !== undefined && f.unavailable === undefined;
