import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The built CLI: tests run mcproxy exactly as a person would. */
export const BIN = fileURLToPath(new URL('../../../../apps/cli/dist/bin.js', import.meta.url));
export const HOSTILE_STDIO = fileURLToPath(new URL('./hostile-stdio.mjs', import.meta.url));
export const HOSTILE_HTTP = fileURLToPath(new URL('./hostile-http.mjs', import.meta.url));

export interface ProxyProcess {
  child: ChildProcess;
  pid: number;
  /** The streamable HTTP face, when served. */
  url: string | undefined;
  /** Where legacy SSE clients open their stream, when served. */
  sseUrl: string | undefined;
  /** The temp dir holding the pipeline file (and anything a test puts beside it). */
  dir: string;
  /** The last stderr lines, parsed when JSON (kept short: a flood must not grow the test runner). */
  logs: Array<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  waitLog(match: (l: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
  /** Stops it (SIGTERM, then SIGKILL after 5 s) and removes its temp dir. */
  stop(): Promise<void>;
}

const running = new Set<ProxyProcess>();
const KEEP_LOGS = 500;

/** Reads a field of /proc/<pid>/status in MB (VmRSS now, VmHWM the peak so far); 0 once the process is gone. */
export function statusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

export const rssMb = (pid: number): number => statusMb(pid, 'VmRSS');
export const peakRssMb = (pid: number): number => statusMb(pid, 'VmHWM');

/** Open file descriptors of a process (sockets, pipes, files). */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Pids of the live (not zombie) direct children of `pid`. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (rest[0] !== 'Z' && Number(rest[1]) === pid) out.push(Number(name));
    } catch {
      // gone while we looked
    }
  }
  return out;
}

/** Is this pid a live process (a zombie counts as gone)? */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Resolves once `stream` drains or closes (without piling listeners on it). */
export function drained(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it holds or `ms` pass; a "no hang" bound, not a speed target. */
export async function eventually(check: () => boolean, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

export interface StartOptions {
  /** Pipe stdin/stdout for a stdio face (otherwise stdin is ignored). */
  stdio?: boolean;
  env?: NodeJS.ProcessEnv;
}

/**
 * Writes `pipeline` (an object: JSON is YAML) to a fresh temp dir and runs
 * the built CLI on it; resolves once it logs `proxy ready` (or `serving on
 * stdio` for a stdio-only face). Every process started here is stopped by
 * `stopAll()`.
 */
export async function startProxy(
  pipeline: Record<string, unknown> | ((dir: string) => Record<string, unknown>),
  options: StartOptions = {},
): Promise<ProxyProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'mcproxy-robustness-'));
  const config = typeof pipeline === 'function' ? pipeline(dir) : pipeline;
  const file = join(dir, 'pipeline.json');
  await writeFile(file, JSON.stringify(config, null, 2));
  const child = spawn(process.execPath, [BIN, '--config', file], {
    stdio: [options.stdio ? 'pipe' : 'ignore', options.stdio ? 'pipe' : 'ignore', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  const logs: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  const waiters: Array<{ match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }> = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderr.push(line.slice(0, 2000));
    if (stderr.length > KEEP_LOGS) stderr.shift();
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    logs.push(parsed);
    if (logs.length > KEEP_LOGS) logs.shift();
    for (const w of [...waiters])
      if (w.match(parsed)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(parsed);
      }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const proc: ProxyProcess = {
    child,
    pid: child.pid!,
    url: undefined,
    sseUrl: undefined,
    dir,
    logs,
    exited,
    // /proc sees a crash at once; the child's exit event may come a moment later.
    alive: () => child.exitCode === null && child.signalCode === null && isAlive(child.pid!),
    waitLog(match, ms = 20_000) {
      const hit = logs.find(match);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no such log line within ${ms} ms; stderr:\n${stderr.slice(-30).join('\n')}`)), ms);
        waiters.push({
          match,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
        void exited.then(({ code, signal }) => {
          clearTimeout(timer);
          reject(new Error(`mcproxy exited (${code ?? signal}) first; stderr:\n${stderr.slice(-30).join('\n')}`));
        });
      });
    },
    async stop() {
      running.delete(proc);
      if (proc.alive()) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
  running.add(proc);
  const serve = (config.serve ?? {}) as Record<string, unknown>;
  const ready =
    serve.http !== undefined || serve.sse !== undefined
      ? await proc.waitLog((l) => l.msg === 'proxy ready')
      : await proc.waitLog((l) => l.msg === 'serving on stdio');
  proc.url = serve.http !== undefined ? (ready.url as string) : undefined;
  proc.sseUrl = typeof ready.sse === 'string' ? ready.sse : undefined;
  return proc;
}

/** Stops every proxy still running: call it in afterEach. */
export async function stopAll(): Promise<void> {
  await Promise.allSettled([...running].map((p) => p.stop()));
}

/** An upstream entry for the hostile stdio server. */
export function hostileStdio(
  options: { mode?: 'normal' | 'crash-at-start' | 'crash-after-init'; spawnLog?: string; marks?: string; sessionMode?: 'shared' | 'per-session' } = {},
): Record<string, unknown> {
  const args = [
    HOSTILE_STDIO,
    '--mode',
    options.mode ?? 'normal',
    ...(options.spawnLog ? ['--spawn-log', options.spawnLog] : []),
    ...(options.marks ? ['--marks', options.marks] : []),
  ];
  return { command: process.execPath, args, mode: options.sessionMode ?? 'shared' };
}

/** Pids the hostile stdio server wrote to its spawn log (one per start). */
export function spawnsIn(file: string): number[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
