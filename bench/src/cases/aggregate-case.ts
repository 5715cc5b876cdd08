import { closeSession, openSession, timedCall } from '../client/mcp-http.js';
import { stopChild } from '../targets/processes.js';
import { runSequential } from './sequential.js';
import { echoStdio, startEchoHttp, startMcproxy, type Paths } from '../targets/targets.js';

export interface AggregateResult {
  available: boolean;
  /** Why not, when the case could not run. */
  reason?: string;
  upstreams: number;
  toolsPerUpstream: number;
  /** Tools in the merged list (first page), and whether there were more pages. */
  tools?: number;
  paginated?: boolean;
  /** Size of the result as JSON, KB. */
  resultKb?: number;
  /** How long the first tools/list took (every upstream started and initialized), ms. */
  firstCallMs?: number;
  calls?: number;
  p50?: number;
  p99?: number;
  failures?: number;
  firstProblem?: string | undefined;
  /**
   * For scale: tools/list p50 (ms) of one server offering as many tools
   * itself, served directly by the SDK and through mcproxy without
   * `aggregate`: what moving a list that size costs before any merging.
   */
  oneServer?: { tools: number; directP50: number; mcproxyP50: number };
}

/**
 * `tools/list` through one mcproxy whose pipeline is `aggregate` over
 * `upstreams` stdio echo servers, each offering `tools` extra tools (all
 * with the same names, so every one is namespaced). Measured one call at a
 * time after a warm-up; reports "not available" when the middleware is not
 * there to load.
 */
export async function runAggregate(paths: Paths, upstreams: number, tools: number, calls: number): Promise<AggregateResult> {
  const oneServer = await oneServerBaseline(paths, upstreams * (tools + 1), calls);
  const base = { upstreams, toolsPerUpstream: tools, oneServer };
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
    const { result: first, ms: firstCallMs } = await timedCall(session, 1, 'tools/list', {});
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
      resultKb: JSON.stringify(first).length / 1024,
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

/** tools/list of `total` tools from one echo server: directly, and through mcproxy HTTP → stdio. */
async function oneServerBaseline(paths: Paths, total: number, calls: number): Promise<AggregateResult['oneServer']> {
  const n = Math.max(10, Math.floor(calls / 2));
  const list = { method: 'tools/list', params: {} };
  const direct = await startEchoHttp(paths, 'list-direct', total - 1);
  try {
    const proxy = await startMcproxy(paths, 'list-mcproxy', {
      upstreams: { echo: { command: process.execPath, args: [echoStdio(paths), '--tools', String(total - 1)] } },
    });
    try {
      const p50 = async (url: string): Promise<number> => {
        const session = await openSession(url);
        await runSequential(session, Math.min(30, n), list);
        const r = await runSequential(session, n, list);
        await closeSession(session);
        return r.p50;
      };
      return { tools: total, directP50: await p50(direct.url), mcproxyP50: await p50(proxy.url) };
    } finally {
      await stopChild(proxy.child);
    }
  } catch {
    return undefined;
  } finally {
    await stopChild(direct.child);
  }
}
