import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { openSession, sessionHeaders, type McpSession } from '../client/mcp-http.js';
import { modernHeaders, modernBody } from '../client/mcp-modern.js';
import { rssKb, sleep, stopChild } from '../targets/processes.js';
import { startLargeHttp, startMcproxy, type Paths } from '../targets/targets.js';
import { percentile, sorted } from './stats.js';

/** One large message through one mcproxy (HTTP → stdio), with another session calling all the while. */
export interface LargeRow {
  case: string;
  /** The payload: the result's text or the request's argument, in MiB. */
  mib: number;
  /** From the request's first byte out to the answer's last byte in. */
  ms: number;
  /** Peak RSS of the proxy during the exchange minus its RSS just before, in MiB. */
  peakMib: number;
  /** `peakMib / mib`: the bound is 2. */
  ratio: number;
  /** The other session's calls while this one ran: how many, their median and their longest (ms). */
  pings: number;
  pingP50: number;
  pingMax: number;
  /** The longest the proxy's event loop was held up meanwhile (its own blocking, whatever else shared the CPU). */
  blockedMs: number;
  /** The answer was the one asked for (its length, or the size the server saw). */
  ok: boolean;
}

export interface LargeResult {
  rows: LargeRow[];
  /** The other session's calls with nothing large in flight, for comparison. */
  idlePingP50: number;
  idlePingMax: number;
}

const node = process.execPath;
const MIB = 1024 * 1024;

const PINGER = `
const { parentPort, workerData } = require('node:worker_threads');
const { request, Agent } = require('node:http');
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
let running = true;
parentPort.on('message', () => { running = false; });
const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: workerData.tool, arguments: {} } });
const once = () => new Promise((resolve, reject) => {
  const req = request(workerData.url, { method: 'POST', headers: workerData.headers, agent }, (res) => { res.resume(); res.on('end', resolve); });
  req.on('error', reject);
  req.end(body);
});
(async () => {
  const times = [];
  while (running) {
    const t = process.hrtime.bigint();
    await once();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  parentPort.postMessage(times);
})();
`;

/** Calls `small__ping` on `session` over and over from a thread of its own (so nothing the bench does holds it up) until stopped. */
function startPinger(session: McpSession): { stop(): Promise<number[]> } {
  const worker = new Worker(PINGER, { eval: true, workerData: { url: session.url.href, headers: sessionHeaders(session), tool: 'small__ping' } });
  const times = new Promise<number[]>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    async stop() {
      worker.postMessage('stop');
      const got = await times;
      await worker.terminate();
      return got;
    },
  };
}

/** POSTs `body` (pieces, never joined) and counts the answer's bytes; returns the first bytes and the count. */
function post(
  url: URL,
  headers: Record<string, string>,
  body: (string | Buffer)[],
  agent: Agent,
): Promise<{ status: number; head: string; bytes: number; tail: string }> {
  return new Promise((resolve, reject) => {
    const length = body.reduce((n, p) => n + Buffer.byteLength(p), 0);
    const req = request(url, { method: 'POST', headers: { ...headers, 'Content-Length': String(length) }, agent }, (res) => {
      let head = '';
      let tail = Buffer.alloc(0);
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        if (head.length < 300) head += chunk.subarray(0, 300).toString();
        tail = Buffer.concat([tail, chunk]).subarray(-300);
        bytes += chunk.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, head, bytes, tail: tail.toString() }));
      // A response cut short (the proxy destroyed it) is an answer too: a wrong one.
      res.on('close', () => resolve({ status: res.complete ? (res.statusCode ?? 0) : -1, head, bytes, tail: tail.toString() }));
    });
    req.setTimeout(120_000, () => req.destroy(new Error('no answer in 120 s')));
    req.on('error', reject);
    for (const piece of body) req.write(piece);
    req.end();
  });
}

/** The peak RSS since the last reset (Linux `VmHWM`), and a reset of it (`clear_refs`, 5), where the kernel allows. */
function peakKb(pid: number): number {
  const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}
function resetPeak(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // Without it the peak is the process's own since it started, which only overstates.
  }
}

const call = (name: string, args: Record<string, unknown>): string =>
  JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name, arguments: args } });

interface LargeExchange {
  name(mib: number): string;
  /** Sends it with `n` bytes of payload; true when the answer is the right one. */
  run(url: URL, session: McpSession, n: number): Promise<boolean>;
}

const CASES: LargeExchange[] = [
  {
    name: (mib) => `${mib} MiB result, 2025-11-25 session`,
    async run(url, session, n) {
      const got = await post(url, sessionHeaders(session), [call('big__large', { bytes: n })], session.agent);
      return got.status === 200 && got.bytes > n && got.bytes < n + 1000 && got.head.includes('"id":5');
    },
  },
  {
    name: (mib) => `${mib} MiB request, 2025-11-25 session`,
    async run(url, session, n) {
      const head = '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"big__size","arguments":{"text":"';
      const got = await post(url, sessionHeaders(session), [head, Buffer.alloc(n, 'y'), '"}}}'], session.agent);
      return got.status === 200 && `${got.head}${got.tail}`.includes(`"text":"${n}"`);
    },
  },
  {
    name: (mib) => `${mib} MiB result from an HTTP upstream, 2025-11-25 session`,
    async run(url, session, n) {
      const got = await post(url, sessionHeaders(session), [call('web__large', { bytes: n })], session.agent);
      return got.status === 200 && got.bytes > n && got.bytes < n + 1000 && got.head.includes('"id":5');
    },
  },
  {
    name: (mib) => `${mib} MiB result from an HTTP upstream's event stream, 2025-11-25 session`,
    async run(url, session, n) {
      const got = await post(url, sessionHeaders(session), [call('web__large', { bytes: n, sse: true })], session.agent);
      return got.status === 200 && got.bytes > n && got.bytes < n + 1000 && got.head.includes('"id":5');
    },
  },
  {
    name: (mib) => `${mib} MiB result, 2026-07-28 request`,
    async run(url, _session, n) {
      const params = { name: 'big__large', arguments: { bytes: n } };
      const got = await post(url, modernHeaders('tools/call', params), [modernBody(5, 'tools/call', params)], new Agent({ keepAlive: false }));
      return got.status === 200 && got.bytes > n && got.bytes < n + 1000;
    },
  },
];

/**
 * The large-message case: one mcproxy HTTP → stdio (a bare-protocol server
 * that writes `mib` MiB of text, or measures a text it is sent), three
 * exchanges — a large result to a 2025-era session, a large request from
 * it, a large result to a 2026-07-28 request (bridged) — each with another
 * session calling `ping` in a loop from its own thread. Reports the
 * proxy's peak RSS over its RSS before, as a multiple of the payload, and
 * the other session's longest call.
 */
export async function runLarge(paths: Paths, mib: number): Promise<LargeResult> {
  const bytes = mib * MIB;
  const limit = bytes + 8 * MIB;
  const probe = pathToFileURL(join(paths.benchDir, 'dist', 'cases', 'loop-probe.js')).href;
  const rows: LargeRow[] = [];
  let idle: number[] = [];
  // A proxy of its own for each exchange, so none starts with memory an earlier one left it.
  const server = join(paths.benchDir, 'dist', 'servers', 'large-stdio.js');
  const web = await startLargeHttp(paths);
  for (const [i, c] of CASES.entries()) {
    const loopFile = join(paths.workDir, `loop-delay-${i}.json`);
    const proxy = await startMcproxy(
      paths,
      'mcproxy-large',
      {
        // Two upstreams: the other session calls the one that is not busy with the large message (a stdio pipe carries one line at a time).
        upstreams: { big: { command: node, args: [server] }, small: { command: node, args: [server] }, web: { url: web.url } },
        limits: { clientMessageBytes: limit, upstreamMessageBytes: limit },
      },
      { nodeFlags: ['--import', probe], env: { BENCH_LOOP_FILE: loopFile } },
    );
    try {
      const url = new URL(proxy.url);
      const big = await openSession(proxy.url);
      const other = await openSession(proxy.url);
      const pid = proxy.child.pid;
      // Warm: the path once at 2 MiB (past the size where large frames begin), so the figure is not a first run's.
      if (!(await c.run(url, big, 2 * MIB))) throw new Error(`large case: ${c.name} failed at 2 MiB`);
      if (idle.length === 0) {
        const pinger = startPinger(other);
        await sleep(1000);
        idle = await pinger.stop();
      }
      await sleep(500);
      const before = rssKb(pid);
      resetPeak(pid);
      const { seq } = await loopMax(pid, loopFile, 0);
      const pinger = startPinger(other);
      await sleep(200);
      const t0 = process.hrtime.bigint();
      const ok = await c.run(url, big, bytes);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      await sleep(100);
      const times = await pinger.stop();
      const peakMib = Math.max(0, peakKb(pid) - before) / 1024;
      const blocked = await loopMax(pid, loopFile, seq);
      rows.push({
        case: c.name(mib),
        mib,
        ms,
        peakMib,
        ratio: peakMib / mib,
        pings: times.length,
        pingP50: percentile(sorted(times), 50),
        pingMax: Math.max(...times),
        blockedMs: blocked.maxMs,
        ok,
      });
    } finally {
      await stopChild(proxy.child);
    }
  }
  await stopChild(web.child);
  return { rows, idlePingP50: percentile(sorted(idle), 50), idlePingMax: Math.max(...idle) };
}

/** Asks the loop probe for its longest delay since it last answered, and waits for the answer numbered past `seq`. */
async function loopMax(pid: number, file: string, seq: number): Promise<{ seq: number; maxMs: number }> {
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      const got = JSON.parse(readFileSync(file, 'utf8')) as { seq: number; maxMs: number };
      if (got.seq > seq) return got;
    } catch {
      // not written yet, or half written
    }
    if (Date.now() > deadline) throw new Error('the loop probe in the proxy did not answer');
    await sleep(20);
  }
}
