import { parseArgs } from 'node:util';
import { TARGET_KEYS, type TargetKey } from './targets/targets.js';

export interface BenchOptions {
  quick: boolean;
  targets: TargetKey[];
  rounds: number;
  /** Length of one autocannon sample, seconds. */
  seconds: number;
  /** Untimed load on each target before the first round, seconds. */
  warmupSeconds: number;
  connections: number;
  /** Sequential calls per target per round. */
  calls: number;
  /** Idle session counts for the memory case (cumulative); empty: skip it. */
  memoryLevels: number[];
  settleMs: number;
  /** The large-message case's payload in MiB; 0: skip it. */
  largeMib: number;
  /** Aggregation case: upstreams × tools each; calls measured. 0 calls: skip it. */
  aggregate: { upstreams: number; tools: number; calls: number };
  /** Profile the front process of `profileTarget` under load for this many seconds (0: no profile). */
  profileSeconds: number;
  profileTarget: TargetKey;
  /** Pin every target to CPU 1 and the load generator to CPU 0 (where there are two CPUs and taskset). */
  pin: boolean;
  /** Where latest.json goes; empty: nowhere. */
  out: string;
}

export const USAGE = `pnpm bench [options]   (or: node dist/main.js [options] from bench/)

  --quick               a smoke run, well under a minute                      BENCH_QUICK=1
  --rounds N            interleaved rounds over the targets (default 3)      BENCH_ROUNDS
  --seconds S           one autocannon sample per target per round (5)        BENCH_SECONDS
  --connections N       autocannon connections (16)                           BENCH_CONNECTIONS
  --calls N             sequential calls per target per round (1000)          BENCH_CALLS
  --targets a,b,…       only these (${TARGET_KEYS.join(', ')})
  --memory N,M          idle-session levels for the memory case (1000,10000); 0 skips it
  --aggregate-calls N   tools/list calls in the aggregation case (300); 0 skips it
  --large MIB           payload of the large-message case (50); 0 skips it
  --profile S           also profile mcproxy HTTP → stdio under load for S seconds
  --profile-target KEY  profile this mcproxy target instead (mcproxy-http, mcproxy-chain3: the front proxy)
  --no-pin              leave CPUs to the scheduler (default: targets on CPU 1,  BENCH_PIN=0
                        the load generator on CPU 0, with taskset)
  --out FILE            where the JSON goes (results/latest.json); "" for nowhere
`;

function num(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} takes a number (0 or more), not "${value}"`);
  return n;
}

/** Flags beat environment variables, which beat the defaults (the --quick ones with --quick). */
export function readOptions(argv: string[], env: NodeJS.ProcessEnv, defaultOut: string): BenchOptions | 'help' {
  const { values: v } = parseArgs({
    // `pnpm bench -- --quick` hands the script a literal "--".
    args: argv.filter((a) => a !== '--'),
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      seconds: { type: 'string' },
      connections: { type: 'string' },
      calls: { type: 'string' },
      targets: { type: 'string' },
      memory: { type: 'string' },
      'aggregate-calls': { type: 'string' },
      large: { type: 'string' },
      profile: { type: 'string' },
      'profile-target': { type: 'string', default: 'mcproxy-stdio' },
      out: { type: 'string' },
      'no-pin': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (v.help) return 'help';
  const quick = (v.quick ?? false) || env.BENCH_QUICK === '1';
  const targets = (v.targets ?? TARGET_KEYS.join(','))
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  for (const t of targets) {
    if (!(TARGET_KEYS as readonly string[]).includes(t)) throw new Error(`unknown target "${t}"; the targets are ${TARGET_KEYS.join(', ')}`);
  }
  const profileTarget = v['profile-target'] ?? 'mcproxy-stdio';
  if (!profileTarget.startsWith('mcproxy-')) throw new Error(`--profile-target takes one of the mcproxy targets, not "${profileTarget}"`);
  const memory = (v.memory ?? (quick ? '200,1000' : '1000,10000'))
    .split(',')
    .map((m) => num('--memory', m, 0))
    .filter((m) => m > 0);
  return {
    quick,
    targets: targets as TargetKey[],
    rounds: Math.max(1, num('--rounds', v.rounds ?? env.BENCH_ROUNDS, quick ? 2 : 3)),
    seconds: num('--seconds', v.seconds ?? env.BENCH_SECONDS, quick ? 1 : 5),
    warmupSeconds: quick ? 0.5 : 2,
    connections: Math.max(1, num('--connections', v.connections ?? env.BENCH_CONNECTIONS, 16)),
    calls: Math.max(1, num('--calls', v.calls ?? env.BENCH_CALLS, quick ? 100 : 1000)),
    memoryLevels: memory.sort((a, b) => a - b),
    settleMs: quick ? 300 : 2000,
    largeMib: num('--large', v.large, quick ? 4 : 50),
    aggregate: { upstreams: 20, tools: 50, calls: num('--aggregate-calls', v['aggregate-calls'], quick ? 30 : 300) },
    profileSeconds: num('--profile', v.profile, 0),
    profileTarget: profileTarget as TargetKey,
    pin: !(v['no-pin'] ?? false) && env.BENCH_PIN !== '0',
    out: v.out ?? defaultOut,
  };
}
