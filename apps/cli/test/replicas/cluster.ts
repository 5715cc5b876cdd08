// Several mcproxy replicas as real processes: one Redis, N replicas (each its
// own pipeline file, face and admin listener on fixed loopback ports, so a
// replica restarted comes back where it was), HAProxy in front of them.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startHaproxy, startRedis, type TestHaproxy, type TestRedis } from '@mcproxy/testing';
import { runCli, type CliRun } from '../kit/cli-process.js';

export interface ClusterOptions {
  /** How many replicas (default 3). */
  replicas?: number;
  /** The pipeline file's `upstreams`, the same for every replica. */
  upstreams: Record<string, unknown>;
  /** The pipeline file's `pipeline` (middleware entries), if any. */
  pipeline?: unknown[];
  /** Whether the replicas share the store (default true; false runs N independent proxies, to check the harness alone). */
  store?: boolean;
  /** The store's `leaseMs` (default 1000) and `drainDelayMs` (default 600). */
  leaseMs?: number;
  drainDelayMs?: number;
}

export interface ReplicaHandle {
  /** `r1`, `r2`, …: its `replicaId`. */
  readonly id: string;
  /** Its MCP endpoint, bypassing the load balancer. */
  readonly url: string;
  /** Its admin listener (`/readyz`, `/metrics`). */
  readonly adminUrl: string;
  /** The pid of the process running now. */
  readonly pid: number;
  /** The process running now (its logs). */
  readonly run: CliRun;
  /** Whether a process of it runs now. */
  alive(): boolean;
  /** SIGTERM (a drain), resolves with how it exited. */
  sigterm(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL, resolves once it is gone. */
  sigkill(): Promise<void>;
  /** Starts it again (it must have exited) on the same ports, resolves once `/readyz` says 200. */
  restart(): Promise<void>;
  /** Resolves once `/readyz` says 200. */
  ready(ms?: number): Promise<void>;
  /** The sum of every sample of metric `name` (all label sets), from `/metrics`; `match` filters the label text. */
  metric(name: string, match?: (labels: string) => boolean): Promise<number>;
  /** The cumulative bucket counts of histogram `name`, by upper bound (`le`), from `/metrics`. */
  buckets(name: string): Promise<Map<string, number>>;
}

export interface Cluster {
  /** The MCP endpoint through HAProxy. */
  readonly url: string;
  readonly haproxy: TestHaproxy;
  readonly redis: TestRedis;
  /** The folder of the pipeline files (the test may put its count files there too). */
  readonly dir: string;
  readonly replicas: readonly ReplicaHandle[];
  /** Replica `r<i>` (1-based). */
  replica(i: number): ReplicaHandle;
  /** Waits until HAProxy sees every replica `UP`. */
  allUp(ms?: number): Promise<void>;
  /** Stops the replicas (SIGTERM, SIGKILL after 5 s), HAProxy and Redis, and removes the folder. */
  stop(): Promise<void>;
}

const MCP_PATH = '/mcp';
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const running = (run: CliRun): boolean => run.child.exitCode === null && run.child.signalCode === null;

/** Polls `url` until it answers 200; fails early (with its stderr) when `run` exits. */
async function ready(url: string, run: CliRun, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (!running(run)) throw new Error(`mcproxy exited before ${url} said 200; stderr:\n${run.stderr.slice(-40).join('\n')}`);
    const status = await fetch(url).then(
      async (r) => `${r.status} ${await r.text()}`,
      (err: unknown) => String(err),
    );
    if (status.startsWith('200')) return;
    last = status;
    await sleep(50);
  }
  throw new Error(`${url} did not say 200 within ${ms} ms (last: ${last.slice(0, 300)}); stderr:\n${run.stderr.slice(-40).join('\n')}`);
}

function sumMetric(text: string, name: string, match: (labels: string) => boolean): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    const labels = rest[0] === '{' ? rest.slice(0, rest.indexOf('}') + 1) : '';
    if (!match(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/**
 * Starts Redis, `replicas` mcproxy processes sharing it (`store:` with
 * `advertise` = the replica's own face, `replicaId` r1…rN) and HAProxy in
 * front; resolves once HAProxy sees every replica ready. Everything listens
 * on loopback; `stop()` reaps it all (call it in `afterAll`, also when the
 * start failed half-way: what did start is stopped by this function first).
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const count = options.replicas ?? 3;
  const dir = await mkdtemp(join(tmpdir(), 'mcproxy-replicas-'));
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const step of stops.splice(0).reverse()) await step().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const redis = await startRedis();
    stops.push(() => redis.stop());
    const ports = await Promise.all(Array.from({ length: count * 2 }, () => freePort()));
    const replicas: Array<ReplicaHandle & { start(): Promise<void>; end(): Promise<void> }> = [];
    for (let i = 1; i <= count; i++) {
      const port = ports[(i - 1) * 2]!;
      const adminPort = ports[(i - 1) * 2 + 1]!;
      const id = `r${i}`;
      const file = join(dir, `${id}.json`);
      const store = {
        redis: { url: redis.url },
        advertise: `http://127.0.0.1:${port}`,
        replicaId: id,
        leaseMs: options.leaseMs ?? 1000,
        drainDelayMs: options.drainDelayMs ?? 600,
      };
      const pipelineFile = {
        serve: { http: { host: '127.0.0.1', port, path: MCP_PATH } },
        admin: { host: '127.0.0.1', port: adminPort },
        ...(options.store === false ? {} : { store }),
        upstreams: options.upstreams,
        ...(options.pipeline === undefined ? {} : { pipeline: options.pipeline }),
      };
      await writeFile(file, JSON.stringify(pipelineFile, null, 2));
      let run: CliRun | undefined;
      const adminUrl = `http://127.0.0.1:${adminPort}`;
      const replica = {
        id,
        url: `http://127.0.0.1:${port}${MCP_PATH}`,
        adminUrl,
        get pid() {
          return run?.child.pid ?? -1;
        },
        get run() {
          if (run === undefined) throw new Error(`${id} never started`);
          return run;
        },
        alive: () => run !== undefined && running(run),
        async start() {
          if (run !== undefined && running(run)) throw new Error(`${id} still runs (pid ${run.child.pid})`);
          run = runCli(['--config', file]);
          await ready(`${adminUrl}/readyz`, run, 30_000);
        },
        async sigterm() {
          const r = replica.run;
          r.child.kill('SIGTERM');
          return r.exited;
        },
        async sigkill() {
          const r = replica.run;
          r.child.kill('SIGKILL');
          await r.exited;
        },
        async end() {
          if (run === undefined || !running(run)) return;
          const r = run;
          const killer = setTimeout(() => r.child.kill('SIGKILL'), 5000);
          r.child.kill('SIGTERM');
          await r.exited;
          clearTimeout(killer);
        },
        restart: () => replica.start(),
        ready: (ms = 30_000) => ready(`${adminUrl}/readyz`, replica.run, ms),
        async metric(name: string, match: (labels: string) => boolean = () => true) {
          const response = await fetch(`${adminUrl}/metrics`);
          return sumMetric(await response.text(), name, match);
        },
        async buckets(name: string) {
          const text = await (await fetch(`${adminUrl}/metrics`)).text();
          const out = new Map<string, number>();
          for (const line of text.split('\n')) {
            const le = line.startsWith(`${name}_bucket{`) ? /le="([^"]+)"/.exec(line)?.[1] : undefined;
            if (le !== undefined) out.set(le, (out.get(le) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
          }
          return out;
        },
      };
      replicas.push(replica);
    }
    // Together: each drains for drainDelayMs before it exits.
    stops.push(async () => {
      await Promise.all(replicas.map((r) => r.end()));
    });
    // In parallel: on two cores the start of a node process is most of the wait.
    await Promise.all(replicas.map((r) => r.start()));
    const haproxy = await startHaproxy({ backends: replicas.map((r, i) => ({ name: r.id, port: ports[i * 2]!, adminPort: ports[i * 2 + 1]! })) });
    stops.push(() => haproxy.stop());
    const allUp = async (ms = 10_000): Promise<void> => {
      const deadline = Date.now() + ms;
      let seen: Record<string, { status: string }> = {};
      while (Date.now() < deadline) {
        seen = await haproxy.backends();
        if (replicas.every((r) => seen[r.id]?.status.startsWith('UP') === true)) return;
        await sleep(50);
      }
      throw new Error(`HAProxy does not see every replica UP within ${ms} ms: ${JSON.stringify(seen)}`);
    };
    await allUp();
    return {
      url: `${haproxy.url}${MCP_PATH}`,
      haproxy,
      redis,
      dir,
      replicas,
      replica(i) {
        const r = replicas[i - 1];
        if (r === undefined) throw new Error(`no replica r${i} (there are ${replicas.length})`);
        return r;
      },
      allUp,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * The upper bound of the bucket quantile `q` falls in, over the observations
 * between two readings of a histogram's cumulative buckets (each the sum
 * over replicas); '+Inf' past the last bound, '-' with no observation.
 */
export function bucketQuantile(before: ReadonlyArray<Map<string, number>>, after: ReadonlyArray<Map<string, number>>, q: number): string {
  const total = new Map<string, number>();
  for (const [i, reading] of after.entries()) for (const [le, count] of reading) total.set(le, (total.get(le) ?? 0) + count - (before[i]?.get(le) ?? 0));
  const bounds = [...total].sort(([a], [b]) => (a === '+Inf' ? 1 : b === '+Inf' ? -1 : Number(a) - Number(b)));
  const all = total.get('+Inf') ?? 0;
  if (all === 0) return '-';
  return bounds.find(([, count]) => count >= q * all)?.[0] ?? '+Inf';
}
