import { call, closeSession, openSession } from './mcp-http.js';
import { stopChild } from './processes.js';
import { runSequential } from './sequential.js';
import { echoStdio, startMcproxy, type Paths } from './targets.js';

export interface AggregateResult {
  available: boolean;
  /** Why not, when the case could not run. */
  reason?: string;
  upstreams: number;
  toolsPerUpstream: number;
  /** Tools in the merged list (first page), and whether there were more pages. */
  tools?: number;
  paginated?: boolean;
  /** How long the first tools/list took (every upstream started and initialized), ms. */
  firstCallMs?: number;
  calls?: number;
  p50?: number;
  p99?: number;
  failures?: number;
  firstProblem?: string | undefined;
}

/**
 * `tools/list` through one mcproxy whose pipeline is `aggregate` over
 * `upstreams` stdio echo servers, each offering `tools` extra tools (all
 * with the same names, so every one is namespaced). Measured one call at a
 * time after a warm-up; reports "not available" when the middleware is not
 * there to load.
 */
export async function runAggregate(paths: Paths, upstreams: number, tools: number, calls: number): Promise<AggregateResult> {
  const base = { upstreams, toolsPerUpstream: tools };
  const servers: Record<string, unknown> = {};
  for (let i = 1; i <= upstreams; i++) {
    servers[`echo${String(i).padStart(2, '0')}`] = { command: process.execPath, args: [echoStdio(paths), '--tools', String(tools)] };
  }
  let proxy;
  try {
    proxy = await startMcproxy(paths, 'aggregate', { upstreams: servers, pipeline: [{ use: 'aggregate' }] });
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    const why = /mcproxy: (.*)/.exec(text)?.[1] ?? text.split('\n')[0] ?? text;
    return { ...base, available: false, reason: `mcproxy would not start with the aggregate pipeline: ${why}` };
  }
  try {
    const session = await openSession(proxy.url);
    const started = process.hrtime.bigint();
    const first = await call(session, 1, 'tools/list', {});
    const firstCallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const list = first.tools as unknown[] | undefined;
    const expected = upstreams * (tools + 1);
    const check = (r: Record<string, unknown>): string | undefined => {
      const n = (r.tools as unknown[] | undefined)?.length ?? 0;
      return n === (list?.length ?? -1) ? undefined : `tools/list gave ${n} tools, then ${list?.length ?? 0}`;
    };
    // Warm-up, then the measured calls.
    await runSequential(session, Math.min(50, calls), { method: 'tools/list', params: {}, check });
    const seq = await runSequential(session, calls, { method: 'tools/list', params: {}, check });
    await closeSession(session);
    const paginated = typeof first.nextCursor === 'string';
    const short = !paginated && (list?.length ?? 0) !== expected;
    return {
      ...base,
      available: true,
      tools: list?.length ?? 0,
      paginated,
      firstCallMs,
      calls,
      p50: seq.p50,
      p99: seq.p99,
      failures: seq.failures + (short ? 1 : 0),
      firstProblem: short ? `expected ${expected} tools in the merged list, got ${list?.length ?? 0}` : seq.firstProblem,
    };
  } catch (err) {
    return { ...base, available: false, reason: `the aggregate case failed: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    await stopChild(proxy.child);
  }
}
