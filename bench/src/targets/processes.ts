import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus } from 'node:os';

/** A child process the bench started: its output is kept for error messages. */
export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  /** The last lines it wrote on stderr (and stdout), for telling why it failed. */
  tail(): string;
  /** Resolves with the exit code (or signal) once it has exited. */
  exited: Promise<string>;
}

const running = new Set<Child>();

/** The CPU every process the bench starts is pinned to (`pinTargets`), or none. */
let pinnedTo: number | undefined;

/**
 * Pins the bench itself (the load generator, every thread) to CPU 0 and
 * every process it starts from now on (and their children) to CPU 1, with
 * util-linux's `taskset`, so a target and the load generator never compete
 * for one core. False, changing nothing, where that cannot be done (one
 * core, no taskset).
 */
export function pinTargets(): boolean {
  if (cpus().length < 2) return false;
  const pinned = spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
  if (pinned.status !== 0) return false;
  pinnedTo = 1;
  return true;
}

/**
 * Starts a child with its stdin closed (it is a server, not a conversation)
 * and remembers it, so `stopAll()` can end it however the bench ends.
 */
export function startChild(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): Child {
  const [file, argv] = pinnedTo === undefined ? [command, args] : ['taskset', ['-c', String(pinnedTo), command, ...args]];
  const proc = spawn(file, argv, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  if (proc.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(line);
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<string>((resolve) => {
    proc.once('exit', (code, signal) => resolve(signal ?? `code ${String(code)}`));
  });
  const child: Child = { name, proc, pid: proc.pid, tail: () => lines.join('\n'), exited };
  running.add(child);
  void exited.then(() => running.delete(child));
  return child;
}

/** Pids of every live process below `pid` (children of children too), from /proc. */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parentOf.set(Number(entry), Number(fields[1]));
    } catch {
      // gone while we looked
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift() as number;
    for (const [child, parent] of parentOf) {
      if (parent === p) {
        out.push(child);
        queue.push(child);
      }
    }
  }
  return out;
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Stops a child and everything it started: SIGTERM first (so each can shut
 * down its own children), SIGKILL for whatever still lives after `graceMs`.
 */
export async function stopChild(child: Child, graceMs = 3000): Promise<void> {
  const family = [child.pid, ...descendants(child.pid)];
  kill(child.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && family.some(alive)) await sleep(25);
  for (const pid of family) if (alive(pid)) kill(pid, 'SIGKILL');
  await Promise.race([child.exited, sleep(1000)]);
  running.delete(child);
}

/** Stops every child still running, all at once. */
export async function stopAll(): Promise<void> {
  await Promise.allSettled([...running].map((c) => stopChild(c)));
}

/** The last resort on a hard exit: SIGKILL whatever is left, synchronously. */
export function killAllNow(): void {
  for (const child of running) {
    for (const pid of [child.pid, ...descendants(child.pid)]) kill(pid, 'SIGKILL');
  }
}

/** A port nobody listens on right now (bind port 0 on loopback, read it, let go). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resident set size of a process in KB (VmRSS), or NaN when it is gone. */
export function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** CPU time (user + system) a process has used, in ms; 0 when it is gone. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is the state (field 3); utime and stime are fields 14 and 15, in clock ticks (100/s on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
