import autocannon from 'autocannon';
import { answerIn, requestBody, requestHeaders, type Session } from '../client/mcp-http.js';
import { cpuMs } from '../targets/processes.js';
import { percentile, sorted } from './stats.js';

export interface LoadOptions {
  seconds: number;
  connections: number;
  /** The pids whose CPU time the run is charged to. */
  pids: () => number[];
  /** The process the client talks to: its own CPU time is also counted apart (the proxy, or the server itself). */
  frontPid?: number;
}

export interface LoadResult {
  /** Requests answered correctly. */
  requests: number;
  reqPerSec: number;
  p50: number;
  p90: number;
  p99: number;
  /** Responses with an HTTP status outside 2xx. */
  non2xx: number;
  /** Socket errors and timeouts. */
  errors: number;
  /** 2xx responses carrying a JSON-RPC error. */
  rpcErrors: number;
  /** 2xx responses without the right answer (wrong id, wrong text, unparsable). */
  wrong: number;
  /** The first thing that went wrong, to show. */
  firstProblem: string | undefined;
  /** CPU time the target's processes used per request, in microseconds. */
  cpuUsPerReq: number;
  /** Of that, the front process's own (its children not counted). */
  frontCpuUsPerReq: number;
}

const TEXT = 'hello from the bench';
const PARAMS = { name: 'echo', arguments: { text: TEXT } };
let nextId = 1_000_000;

/**
 * Hammers `tools/call echo` on one initialized session (or, for a
 * 2026-07-28 target, with the envelope in every body and the method and
 * tool named in the headers, which are the same for every request) from
 * `connections` keep-alive connections for `seconds`, every request with
 * an id of its own. Every answer is checked (status, id, echoed text), and latencies
 * are kept at full resolution rather than autocannon's whole milliseconds.
 */
export async function runLoad(session: Session, options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  let rpcErrors = 0;
  let wrong = 0;
  let firstProblem: string | undefined;
  const problem = (what: string): void => {
    firstProblem ??= what;
  };
  const pidsBefore = options.pids();
  const cpuBefore = pidsBefore.reduce((sum, pid) => sum + cpuMs(pid), 0);
  const frontBefore = options.frontPid === undefined ? Number.NaN : cpuMs(options.frontPid);
  let finish: (err: unknown, result: autocannon.Result) => void = () => undefined;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = (err, result) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(result));
  });
  const instance = autocannon(
    {
      url: session.url.href,
      connections: options.connections,
      pipelining: 1,
      duration: options.seconds,
      method: 'POST',
      headers: requestHeaders(session, 'tools/call', PARAMS),
      requests: [
        {
          method: 'POST',
          setupRequest: (request, context) => {
            const id = nextId++;
            (context as { id?: number }).id = id;
            return { ...request, body: requestBody(session, id, 'tools/call', PARAMS) };
          },
          onResponse: (status, body, context) => {
            if (status < 200 || status > 299) return problem(`HTTP ${status}: ${body.slice(0, 160)}`);
            const id = (context as { id?: number }).id ?? -1;
            const answer = answerIn({ status, headers: {}, text: body }, id);
            if (typeof answer === 'string') {
              wrong++;
              return problem(answer);
            }
            if (answer.error !== undefined) {
              rpcErrors++;
              return problem(`JSON-RPC error ${answer.error.code}: ${answer.error.message}`);
            }
            const content = answer.result?.content as Array<{ text?: string }> | undefined;
            if (content?.[0]?.text !== TEXT) {
              wrong++;
              problem(`wrong result: ${JSON.stringify(answer.result).slice(0, 160)}`);
            }
          },
        },
      ],
    },
    (err, result) => finish(err, result),
  );
  instance.on('response', (_client, _status, _bytes, responseTime) => {
    latencies.push(responseTime);
  });
  const result = await done;
  const cpuAfter = pidsBefore.reduce((sum, pid) => sum + cpuMs(pid), 0);
  const frontAfter = options.frontPid === undefined ? Number.NaN : cpuMs(options.frontPid);
  const lat = sorted(latencies);
  // Only correct answers count as work done.
  const ok = Math.max(0, result['2xx'] - rpcErrors - wrong);
  return {
    requests: ok,
    reqPerSec: ok / result.duration,
    p50: percentile(lat, 50),
    p90: percentile(lat, 90),
    p99: percentile(lat, 99),
    non2xx: result.non2xx,
    errors: result.errors,
    rpcErrors,
    wrong,
    firstProblem,
    cpuUsPerReq: ok > 0 ? ((cpuAfter - cpuBefore) * 1000) / ok : Number.NaN,
    frontCpuUsPerReq: ok > 0 ? ((frontAfter - frontBefore) * 1000) / ok : Number.NaN,
  };
}
