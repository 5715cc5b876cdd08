import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { runLoad, type LoadResult } from './load.js';
import { openClient } from '../client/mcp-http.js';
import { startTarget, type Paths, type TargetKey } from '../targets/targets.js';

export interface ProfileEntry {
  /** Function name and where it is (file:line, relative to the repo). */
  fn: string;
  selfMs: number;
  selfPct: number;
}

export interface ProfileResult {
  target: TargetKey;
  load: LoadResult;
  totalMs: number;
  top: ProfileEntry[];
  /** Self time summed by package or area (core, transport-*, SDK, node internals, …). */
  byArea: ProfileEntry[];
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

/** Which part of the stack a script URL belongs to, for the summary by area. */
function area(url: string): string {
  if (url === '') return '(native, GC, program)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /\/(packages|apps)\/([^/]+)\//.exec(url);
  if (pkg && !url.includes('node_modules')) return `@mcproxy/${pkg[2]}`;
  const dep = /node_modules\/((@[^/]+\/)?[^/]+)\/(?!.*node_modules)/.exec(url);
  return dep?.[1] ?? url;
}

/** Self time by function, from a .cpuprofile (V8's sampling profile). */
export function summarise(profile: CpuProfile, repoDir: string, topN: number): Omit<ProfileResult, 'target' | 'load'> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const fnSelf = new Map<string, number>();
  const areaSelf = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const frame = byId.get(id);
    // Idle time is not work: percentages are of the time the process was busy.
    if (frame === undefined || frame.functionName === '(idle)') return;
    total += us;
    const file = (frame.url.startsWith('file://') ? relative(repoDir, frame.url.slice('file://'.length)) : frame.url).replace(
      /node_modules\/\.pnpm\/[^/]+\/node_modules\//,
      'node_modules/',
    );
    const fn = `${frame.functionName || '(anonymous)'} ${file ? `${file}:${frame.lineNumber + 1}` : ''}`.trim();
    fnSelf.set(fn, (fnSelf.get(fn) ?? 0) + us);
    const a = area(frame.url);
    areaSelf.set(a, (areaSelf.get(a) ?? 0) + us);
  });
  const rank = (m: Map<string, number>, n: number): ProfileEntry[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([fn, us]) => ({ fn, selfMs: us / 1000, selfPct: (100 * us) / total }));
  return { totalMs: total / 1000, top: rank(fnSelf, topN), byArea: rank(areaSelf, 12) };
}

/**
 * Runs the front proxy of `key` under `node --cpu-prof`, loads it like the
 * throughput case for `seconds`, stops it (the profile is written as it
 * exits) and summarises where its CPU time went.
 */
export async function runProfile(paths: Paths, key: TargetKey, seconds: number, connections: number): Promise<ProfileResult> {
  const dir = join(paths.workDir, `profile-${key}`);
  mkdirSync(dir, { recursive: true });
  const t = await startTarget(key, paths, { nodeFlags: ['--cpu-prof', '--cpu-prof-dir', dir] });
  let load: LoadResult;
  try {
    const session = await openClient(t.url, t.modern);
    load = await runLoad(session, { seconds, connections, pids: t.pids });
    session.agent.destroy();
  } finally {
    await t.stop();
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`no .cpuprofile was written in ${dir} (did the proxy exit cleanly?)`);
  // BENCH_PROFILE_OUT keeps the profile itself (for Chrome's DevTools, or to look at callers), since the work dir goes.
  if (process.env.BENCH_PROFILE_OUT !== undefined) copyFileSync(join(dir, file), process.env.BENCH_PROFILE_OUT);
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
  return { target: key, load, ...summarise(profile, join(paths.benchDir, '..'), 25) };
}
