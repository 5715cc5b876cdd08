import { timedCall, type Session } from '../client/mcp-http.js';
import { percentile, sorted } from './stats.js';

export interface SequentialResult {
  calls: number;
  p50: number;
  p99: number;
  /** Calls that failed (HTTP or JSON-RPC error, wrong answer); the first one's message. */
  failures: number;
  firstProblem: string | undefined;
}

let nextId = 1;

/**
 * One client making one call at a time on one keep-alive connection: the
 * latency a single tool call sees when nothing else is going on. `method`
 * and `params` default to `tools/call echo`; `check` may reject a result.
 */
export async function runSequential(
  session: Session,
  calls: number,
  request: { method: string; params: Record<string, unknown>; check?: (result: Record<string, unknown>) => string | undefined } = {
    method: 'tools/call',
    params: { name: 'echo', arguments: { text: 'one at a time' } },
    check: (r) => ((r.content as Array<{ text?: string }> | undefined)?.[0]?.text === 'one at a time' ? undefined : 'wrong echo'),
  },
): Promise<SequentialResult> {
  const times: number[] = [];
  let failures = 0;
  let streak = 0;
  let firstProblem: string | undefined;
  for (let i = 0; i < calls; i++) {
    try {
      const { result, ms: elapsed } = await timedCall(session, nextId++, request.method, request.params);
      const wrong = request.check?.(result);
      if (wrong !== undefined) throw new Error(wrong);
      times.push(elapsed);
      streak = 0;
    } catch (err) {
      failures++;
      firstProblem ??= err instanceof Error ? err.message : String(err);
      // A target that has gone (or hangs) is not measured call after call.
      if (++streak >= 5) break;
    }
  }
  const s = sorted(times);
  return { calls, p50: percentile(s, 50), p99: percentile(s, 99), failures, firstProblem };
}
