import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { call, closeSession, openSession, send, sessionHeaders, type McpSession } from '../client/mcp-http.js';
import { rssKb, sleep, stopChild } from '../targets/processes.js';
import { echoStdio, startMcproxy, type Paths } from '../targets/targets.js';

export interface MemoryStep {
  step: string;
  sessions: number;
  /** VmRSS after a settle and a full garbage collection. */
  rssKb: number;
  /** V8 heap in use after that collection (KB): what is still referenced. */
  heapUsedKb: number;
}

export interface MemoryResult {
  steps: MemoryStep[];
  /** (RSS at each level − RSS before) / sessions, in KB. */
  kbPerSession: Record<string, number>;
  /** RSS after the second open-and-close cycle minus after the first (KB); near 0 when nothing leaks. */
  growthAfterCloseKb: number;
  /** Heap used after the 2nd open-and-close cycle minus after the 1st: what each cycle leaves behind. */
  heapGrowthKb: number;
  /** Heap in use after all sessions closed (second cycle) minus before any opened (KB). */
  heapLeftKb: number;
  /** What the sessions at the top level held: RSS there minus RSS before (KB). */
  peakIncrementKb: number;
  /** Sessions that would not open or close, and the first reason. */
  failures: number;
  firstProblem: string | undefined;
  seconds: number;
}

const CONCURRENCY = 32;
const node = process.execPath;

/** Waits for the probe in the proxy to write its `seq`-th report. */
async function readProbe(file: string, seq: number): Promise<{ heapUsed: number }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const usage = JSON.parse(readFileSync(file, 'utf8')) as { seq: number; heapUsed: number };
      if (usage.seq >= seq) return usage;
    } catch {
      // not written yet, or half written
    }
    if (Date.now() > deadline) throw new Error('the memory probe in the proxy did not answer');
    await sleep(20);
  }
}

/** Runs `task` over `items` with at most `limit` at a time. */
async function pool<T, R>(items: T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await task(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * One mcproxy (HTTP → the stdio echo server, shared) holding idle sessions:
 * RSS before, at each level of open sessions (each initialized, no GET
 * stream, nothing in flight), after DELETEing them all, and after a second
 * cycle up to the top level and back, which tells growth from a leak.
 */
export async function runMemory(paths: Paths, levels: number[], settleMs: number): Promise<MemoryResult> {
  const started = Date.now();
  const probeFile = join(paths.workDir, 'memory-usage.json');
  const probe = pathToFileURL(join(paths.benchDir, 'dist', 'cases', 'gc-probe.js')).href;
  // The case opens more sessions than the default cap (limits.sessions, 1000) on purpose.
  const limits = { sessions: Math.max(1000, ...levels) + 100 };
  const proxy = await startMcproxy(
    paths,
    'memory',
    { upstreams: { echo: { command: node, args: [echoStdio(paths)] } }, limits },
    {
      nodeFlags: ['--expose-gc', '--import', probe],
      env: { BENCH_MEMORY_FILE: probeFile },
    },
  );
  const pid = proxy.child.pid;
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const steps: MemoryStep[] = [];
  let failures = 0;
  let firstProblem: string | undefined;
  const fail = (err: unknown): undefined => {
    failures++;
    firstProblem ??= err instanceof Error ? err.message : String(err);
    return undefined;
  };
  let seq = 0;
  const measure = async (step: string, sessions: number): Promise<void> => {
    await sleep(settleMs);
    seq++;
    process.kill(pid, 'SIGUSR2');
    const usage = await readProbe(probeFile, seq);
    steps.push({ step, sessions, rssKb: rssKb(pid), heapUsedKb: usage.heapUsed / 1024 });
  };
  const open = async (n: number): Promise<McpSession[]> => {
    const made = await pool(
      Array.from({ length: n }, (_, i) => i),
      CONCURRENCY,
      () => openSession(proxy.url, agent).catch(fail),
    );
    return made.filter((s): s is McpSession => s !== undefined);
  };
  const closeAll = async (sessions: McpSession[]): Promise<void> => {
    await pool(sessions, CONCURRENCY, (s) =>
      closeSession(s).then((status) => (status === 200 ? undefined : fail(new Error(`DELETE answered ${status}`))), fail),
    );
    // A closed session must be gone: the server answers 404 for it.
    const probe = sessions[0];
    if (probe !== undefined) {
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
      const reply = await send(probe.url, 'POST', sessionHeaders(probe), body, agent);
      if (reply.status !== 404) fail(new Error(`a DELETEd session still answers (HTTP ${reply.status})`));
    }
  };
  try {
    // Warm: the upstream child is started and the code paths are loaded before the baseline.
    const warm = await openSession(proxy.url, agent);
    await call(warm, 1, 'tools/call', { name: 'echo', arguments: { text: 'warm' } });
    await closeAll([warm]);
    await measure('before', 0);
    let sessions: McpSession[] = [];
    for (const level of levels) {
      sessions = sessions.concat(await open(level - sessions.length));
      await measure(`${level} open`, sessions.length);
    }
    await closeAll(sessions);
    await measure('all closed', 0);
    const top = levels[levels.length - 1] ?? 0;
    const again = await open(top);
    await measure(`${top} open again`, again.length);
    await closeAll(again);
    await measure('all closed again', 0);
  } catch (err) {
    fail(err);
  } finally {
    agent.destroy();
    await stopChild(proxy.child);
  }
  const rssAt = (step: string): number => steps.find((s) => s.step === step)?.rssKb ?? Number.NaN;
  const before = rssAt('before');
  const kbPerSession: Record<string, number> = {};
  for (const level of levels) {
    const step = steps.find((s) => s.step === `${level} open`);
    kbPerSession[String(level)] = step !== undefined && step.sessions > 0 ? (step.rssKb - before) / step.sessions : Number.NaN;
  }
  const top = levels[levels.length - 1] ?? 0;
  return {
    steps,
    kbPerSession,
    growthAfterCloseKb: rssAt('all closed again') - rssAt('all closed'),
    heapGrowthKb:
      (steps.find((s) => s.step === 'all closed again')?.heapUsedKb ?? Number.NaN) - (steps.find((s) => s.step === 'all closed')?.heapUsedKb ?? Number.NaN),
    heapLeftKb: (steps.find((s) => s.step === 'all closed again')?.heapUsedKb ?? Number.NaN) - (steps[0]?.heapUsedKb ?? Number.NaN),
    peakIncrementKb: rssAt(`${top} open`) - before,
    failures,
    firstProblem,
    seconds: (Date.now() - started) / 1000,
  };
}
