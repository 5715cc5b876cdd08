// pnpm bench: mcproxy against the direct connection and other MCP proxies.
// Every target runs in processes of its own, started and stopped here; the
// load is interleaved (A B C A B C …) so that noise on the machine falls on
// every target alike. See docs/benchmarks.md.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runAggregate, type AggregateResult } from './cases/aggregate-case.js';
import { runLoad } from './cases/load.js';
import { openClient, type Session } from './client/mcp-http.js';
import { runMemory, type MemoryResult } from './cases/memory-case.js';
import { runLarge, type LargeResult } from './cases/large-case.js';
import { renderLarge } from './report/report-large.js';
import { readOptions, USAGE, type BenchOptions } from './options.js';
import { killAllNow, pinTargets, stopAll } from './targets/processes.js';
import { runProfile, type ProfileResult } from './cases/profile.js';
import { figures, type TargetFigures } from './report/figures.js';
import { goals, machine, renderReport } from './report/report.js';
import { runSequential } from './cases/sequential.js';
import { runAuthCase, type AuthCaseRow } from './cases/auth-case.js';
import { AUTH_TARGETS, startTarget, TARGET_LABELS, type Paths, type Target, type TargetKey } from './targets/targets.js';

const benchDir = fileURLToPath(new URL('..', import.meta.url));
const t0 = Date.now();
const say = (text: string): void => {
  process.stderr.write(`bench ${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s: ${text}\n`);
};

interface Live {
  key: TargetKey;
  target: Target;
  session: Session;
  rounds: TargetFigures['rounds'];
}

/** Starts every target at once (they idle until their turn) and opens one session on each. */
async function startAll(options: BenchOptions, paths: Paths): Promise<{ live: Live[]; failed: TargetFigures[] }> {
  say(`starting ${options.targets.join(', ')}`);
  const results = await Promise.all(
    options.targets.map(async (key): Promise<Live | TargetFigures> => {
      let target: Target | undefined;
      try {
        target = await startTarget(key, paths);
        const session = await openClient(target.url, target.modern, undefined, target.credential);
        if (target.callUrl !== undefined) session.url = new URL(target.callUrl);
        return { key, target, session, rounds: [] };
      } catch (err) {
        await target?.stop();
        const why = err instanceof Error ? err.message : String(err);
        say(`${key} is not available: ${why}`);
        return { ...figures(key, TARGET_LABELS[key], []), unavailable: why };
      }
    }),
  );
  return {
    live: results.filter((r): r is Live => 'session' in r),
    failed: results.filter((r): r is TargetFigures => 'unavailable' in r),
  };
}

async function throughputRounds(options: BenchOptions, live: Live[]): Promise<void> {
  for (const t of live) {
    say(`warming up ${t.key}`);
    await runLoad(t.session, { seconds: options.warmupSeconds, connections: options.connections, pids: t.target.pids });
    await runSequential(t.session, Math.min(100, options.calls));
  }
  for (let round = 1; round <= options.rounds; round++) {
    for (const t of live) {
      const load = await runLoad(t.session, { seconds: options.seconds, connections: options.connections, pids: t.target.pids, frontPid: t.target.front.pid });
      const sequential = await runSequential(t.session, options.calls);
      t.rounds.push({ load, sequential });
      say(
        `round ${round}/${options.rounds} ${t.key}: ${load.reqPerSec.toFixed(0)} req/s, p50 ${load.p50.toFixed(2)} ms; one at a time p50 ${sequential.p50.toFixed(3)} ms`,
      );
    }
  }
}

/** Generated pipeline files and profiles; removed however the bench ends. */
let workDir: string | undefined;
const removeWorkDir = (): void => {
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
};

async function run(options: BenchOptions): Promise<void> {
  workDir = mkdtempSync(join(tmpdir(), 'mcproxy-bench-'));
  const paths: Paths = { benchDir, workDir };
  const started = Date.now();
  // Before anything is started: each process the bench starts inherits its CPU.
  const pinned = options.pin && pinTargets();
  try {
    const { live, failed } = await startAll(options, paths);
    await throughputRounds(options, live);
    for (const t of live) t.session.agent.destroy();
    say('stopping the targets');
    await Promise.allSettled(live.map((t) => t.target.stop()));
    const byKey = new Map<TargetKey, TargetFigures>(failed.map((f) => [f.key, f]));
    for (const t of live) byKey.set(t.key, figures(t.key, TARGET_LABELS[t.key], t.rounds));
    const targets = options.targets.map((k) => byKey.get(k)).filter((f): f is TargetFigures => f !== undefined);

    let aggregate: AggregateResult | undefined;
    if (options.aggregate.calls > 0) {
      say(`aggregation: ${options.aggregate.upstreams} upstreams × ${options.aggregate.tools} tools`);
      aggregate = await runAggregate(paths, options.aggregate.upstreams, options.aggregate.tools, options.aggregate.calls);
      if (!aggregate.available) say(`aggregation not available: ${aggregate.reason ?? ''}`);
    }
    let memory: MemoryResult | undefined;
    if (options.memoryLevels.length > 0) {
      say(`memory: ${options.memoryLevels.join(', ')} idle sessions`);
      memory = await runMemory(paths, options.memoryLevels, options.settleMs);
    }
    let large: LargeResult | undefined;
    if (options.largeMib > 0) {
      say(`large messages: ${options.largeMib} MiB`);
      large = await runLarge(paths, options.largeMib);
    }
    let authCase: AuthCaseRow[] | undefined;
    if (options.targets.some((k) => AUTH_TARGETS.has(k))) {
      say('authentication in process');
      authCase = await runAuthCase(options.quick ? 2000 : 20_000);
    }
    let profile: ProfileResult | undefined;
    if (options.profileSeconds > 0) {
      say(`profiling ${options.profileTarget} for ${options.profileSeconds} s`);
      profile = await runProfile(paths, options.profileTarget, options.profileSeconds, options.connections);
    }

    const m = machine();
    const goalList = goals(targets, aggregate, memory);
    const setup =
      `${options.rounds} interleaved rounds; each: autocannon ${options.seconds} s × ${options.connections} connections on one session, ` +
      `then ${options.calls} sequential calls; medians over rounds; ${pinned ? 'every target on CPU 1, the load generator on CPU 0' : 'not pinned to CPUs'}. ` +
      `Run took ${((Date.now() - started) / 1000).toFixed(0)} s.`;
    const report = renderReport(m, targets, aggregate, memory, goalList, profile, setup, authCase) + renderLarge(large);
    process.stdout.write(`\n${report}`); // lint-allow: the bench's output is its table
    if (options.out !== '') {
      mkdirSync(dirname(options.out), { recursive: true });
      const json = { machine: m, options, targets, aggregate, memory, large, goals: goalList, profile, authCase, report };
      writeFileSync(options.out, `${JSON.stringify(json, null, 2)}\n`);
      say(`wrote ${options.out}`);
    }
  } finally {
    await stopAll();
    removeWorkDir();
  }
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping every process the bench started`);
    void Promise.race([stopAll(), new Promise((resolve) => setTimeout(resolve, 5000))]).then(() => {
      killAllNow();
      removeWorkDir();
      process.exit(130);
    });
  });
}
process.on('exit', killAllNow);

try {
  const options = readOptions(process.argv.slice(2), process.env, join(benchDir, 'results', 'latest.json'));
  if (options === 'help') {
    process.stdout.write(USAGE); // lint-allow: the bench's output is its table (and its help)
  } else {
    await run(options);
  }
} catch (err) {
  say(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
}
