import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import type { AggregateResult } from '../cases/aggregate-case.js';
import type { MemoryResult } from '../cases/memory-case.js';
import type { ProfileResult } from '../cases/profile.js';
import type { AuthCaseRow } from '../cases/auth-case.js';
import { renderAuth } from './report-auth.js';
import { renderFloor } from './report-floor.js';
import { renderModern } from './report-modern.js';
import { measured, type TargetFigures } from './figures.js';
import { fmt } from '../cases/stats.js';
import { notAvailable, row, versus } from './table.js';
import type { TargetKey } from '../targets/targets.js';

export interface Goal {
  goal: string;
  measured: string;
  /** undefined: could not be decided (a figure is missing). */
  met: boolean | undefined;
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  date: string;
  commit: string;
  /** 1-minute load averages when the bench started and ended: other work on the machine shows here. */
  loadAverage: { start: number; end: number };
}

/** Read when the bench starts (this module is loaded then). */
const loadAtStart = loadavg()[0] ?? Number.NaN;

export function machine(): Machine {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // not a git checkout
  }
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    os: `${process.platform} ${release()}`,
    node: process.version,
    date: new Date().toISOString(),
    commit,
    loadAverage: { start: loadAtStart, end: loadavg()[0] ?? Number.NaN },
  };
}

/** The issue's targets, each decided from the figures (and only from figures without errors). */
export function goals(targets: TargetFigures[], aggregate: AggregateResult | undefined, memory: MemoryResult | undefined): Goal[] {
  const by = (k: TargetKey): TargetFigures | undefined => targets.find((t) => t.key === k);
  const direct = by('direct');
  const stdio = by('mcproxy-stdio');
  const chain = by('mcproxy-chain3');
  const peer = by('mcp-proxy');
  const out: Goal[] = [];
  const clean = (...fs: TargetFigures[]): boolean => fs.every((f) => f.problems === 0);
  const ratio = (name: string, a: TargetFigures | undefined, b: TargetFigures | undefined, want: number): void => {
    if (!measured(a) || !measured(b)) return void out.push({ goal: name, measured: 'not measured', met: undefined });
    const r = a.reqPerSec / b.reqPerSec;
    out.push({ goal: name, measured: `${fmt(r, 2)}× (${fmt(a.reqPerSec, 0)} vs ${fmt(b.reqPerSec, 0)} req/s)`, met: r >= want && clean(a, b) });
  };
  ratio('mcproxy HTTP → stdio throughput ≥ 2× direct', stdio, direct, 2);
  ratio('mcproxy HTTP → stdio throughput ≥ 2.5× mcp-proxy', stdio, peer, 2.5);
  if (measured(stdio) && measured(direct)) {
    const d = stdio.seqP50 - direct.seqP50;
    out.push({
      goal: 'sequential p50 through mcproxy ≤ direct p50 + 0.15 ms',
      measured: `${d >= 0 ? '+' : ''}${fmt(d, 3)} ms (${fmt(stdio.seqP50, 3)} vs ${fmt(direct.seqP50, 3)})`,
      met: d <= 0.15 && clean(stdio, direct),
    });
  } else out.push({ goal: 'sequential p50 through mcproxy ≤ direct p50 + 0.15 ms', measured: 'not measured', met: undefined });
  if (measured(chain) && measured(stdio)) {
    const each = (chain.seqP50 - stdio.seqP50) / 2;
    out.push({
      goal: 'each extra proxy in a chain adds ≤ 0.25 ms to p50',
      measured: `${fmt(each, 3)} ms each ((${fmt(chain.seqP50, 3)} − ${fmt(stdio.seqP50, 3)}) / 2)`,
      met: each <= 0.25 && clean(chain, stdio),
    });
  } else out.push({ goal: 'each extra proxy in a chain adds ≤ 0.25 ms to p50', measured: 'not measured', met: undefined });
  const agg = `tools/list over ${aggregate?.upstreams ?? 20}×${aggregate?.toolsPerUpstream ?? 50}: p50 ≤ 2 ms`;
  if (aggregate?.available === true && aggregate.p50 !== undefined) {
    out.push({ goal: agg, measured: `${fmt(aggregate.p50, 3)} ms`, met: aggregate.p50 <= 2 && aggregate.failures === 0 });
  } else out.push({ goal: agg, measured: aggregate?.reason ?? 'not measured', met: undefined });
  const levels = Object.keys(memory?.kbPerSession ?? {});
  const top = levels[levels.length - 1];
  if (memory !== undefined && top !== undefined) {
    const kb = memory.kbPerSession[top] ?? Number.NaN;
    out.push({
      goal: `≤ 50 KB RSS per idle session at ${Number(top).toLocaleString('en-US')} sessions`,
      measured: `${fmt(kb, 1)} KB`,
      met: kb <= 50 && memory.failures === 0,
    });
    // The first cycle also warms the JIT and the load generator's sockets; a second
    // identical cycle that leaves the heap where the first did shows nothing per session stays.
    // RSS is shown but not judged: V8 keeps freed pages for reuse, so RSS after a close says little.
    const grew = memory.heapGrowthKb > 1024;
    out.push({
      goal: 'no growth after the sessions close (a 2nd open-and-close cycle leaves the heap, after a full GC, within 1 MB of the 1st)',
      measured: `heap ${memory.heapGrowthKb >= 0 ? '+' : ''}${fmt(memory.heapGrowthKb / 1024, 2)} MB and RSS +${fmt(memory.growthAfterCloseKb / 1024, 1)} MB over the 2nd cycle (heap +${fmt(memory.heapLeftKb / 1024, 1)} MB over the start)`,
      met: !grew && memory.failures === 0,
    });
  } else out.push({ goal: '≤ 50 KB RSS per idle session at 10,000 sessions; no growth after close', measured: 'not measured', met: undefined });
  return out;
}

/** The whole report as Markdown: the table, the other cases, the targets. */
export function renderReport(
  m: Machine,
  targets: TargetFigures[],
  aggregate: AggregateResult | undefined,
  memory: MemoryResult | undefined,
  goalList: Goal[],
  profile: ProfileResult | undefined,
  setup: string,
  authCase?: AuthCaseRow[],
): string {
  const direct = targets.find((t) => t.key === 'direct');
  let s = `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, ${m.os}, Node ${m.node}; ${m.date} (commit ${m.commit}); load average ${fmt(m.loadAverage.start, 1)} at the start, ${fmt(m.loadAverage.end, 1)} at the end\n${setup}\n\n`;
  s += row(['target', 'req/s', '× direct', 'p50 ms', 'p99 ms', 'CPU µs/req', 'seq p50 ms', 'seq p99 ms', 'Δ seq p50 ms', 'errors']);
  s += row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']);
  for (const t of targets) {
    if (t.unavailable !== undefined) {
      s += row([t.label, notAvailable(t.unavailable), '', '', '', '', '', '', '', '']);
      continue;
    }
    const against = versus(t, direct);
    s += row([
      t.label,
      fmt(t.reqPerSec, 0),
      against.times,
      fmt(t.p50, 2),
      fmt(t.p99, 2),
      fmt(t.cpuUsPerReq, 0),
      fmt(t.seqP50, 3),
      fmt(t.seqP99, 3),
      against.seqP50,
      String(t.problems),
    ]);
  }
  s += renderFloor(targets);
  s += renderModern(targets);
  s += renderAuth(targets, authCase);
  const problems = targets.filter((t) => t.firstProblem !== undefined);
  for (const t of problems) s += `\nFirst error at ${t.label}: ${t.firstProblem ?? ''}\n`;
  s += '\nAggregation (tools/list through `aggregate`, one call at a time): ';
  if (aggregate === undefined) s += 'skipped\n';
  else if (!aggregate.available) s += `not available: ${aggregate.reason ?? ''}\n`;
  else {
    s += `${aggregate.upstreams} upstreams × ${aggregate.toolsPerUpstream} extra tools → ${aggregate.tools ?? 0} tools${aggregate.paginated ? ' on the first page' : ''} (${fmt(aggregate.resultKb, 0)} KB of JSON); `;
    s += `p50 ${fmt(aggregate.p50, 3)} ms, p99 ${fmt(aggregate.p99, 3)} ms over ${aggregate.calls ?? 0} calls; first call ${fmt(aggregate.firstCallMs, 1)} ms; errors ${aggregate.failures ?? 0}`;
    s += `${aggregate.firstProblem !== undefined ? ` (${aggregate.firstProblem})` : ''}\n`;
  }
  const one = aggregate?.oneServer;
  if (one !== undefined) {
    s += `For scale, one server offering ${one.tools} tools itself: tools/list p50 ${fmt(one.directP50, 3)} ms direct, ${fmt(one.mcproxyP50, 3)} ms through mcproxy HTTP → stdio.\n`;
  }
  s += '\nMemory (one mcproxy HTTP → stdio process, idle initialized sessions; after a settle and a full GC):\n\n';
  if (memory === undefined) s += 'skipped\n';
  else {
    s += row(['step', 'sessions', 'RSS MB', 'heap used MB', 'KB/session (RSS)']);
    s += row(['---', '---:', '---:', '---:', '---:']);
    const base = memory.steps[0]?.rssKb ?? Number.NaN;
    for (const step of memory.steps) {
      const per = step.sessions > 0 && step.step.endsWith(' open') ? fmt((step.rssKb - base) / step.sessions, 1) : '';
      s += row([step.step, String(step.sessions), fmt(step.rssKb / 1024, 1), fmt(step.heapUsedKb / 1024, 1), per]);
    }
    s += `\n${memory.failures} session(s) failed${memory.firstProblem !== undefined ? ` (${memory.firstProblem})` : ''}; ${fmt(memory.seconds, 0)} s\n`;
  }
  s += '\nTargets:\n\n';
  s += row(['target', 'measured', 'met']);
  s += row(['---', '---', '---']);
  for (const g of goalList) s += row([g.goal, g.measured, g.met === undefined ? '?' : g.met ? 'yes' : '**no**']);
  if (profile !== undefined) {
    s += `\nCPU profile of ${profile.target} under load (${fmt(profile.load.reqPerSec, 0)} req/s; ${fmt(profile.totalMs, 0)} ms busy), self time:\n\n`;
    s += row(['area', 'self ms', '%']);
    s += row(['---', '---:', '---:']);
    for (const e of profile.byArea) s += row([e.fn, fmt(e.selfMs, 0), fmt(e.selfPct, 1)]);
    s += '\n';
    s += row(['function', 'self ms', '%']);
    s += row(['---', '---:', '---:']);
    for (const e of profile.top) s += row([`\`${e.fn}\``, fmt(e.selfMs, 0), fmt(e.selfPct, 1)]);
  }
  return s;
}
