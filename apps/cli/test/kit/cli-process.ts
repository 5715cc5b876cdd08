import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { eventually, isAlive } from '@mcproxy/testing';

export const BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
export const FIXTURE = fileURLToPath(new URL('../../../../packages/testing/dist/fixture-server.js', import.meta.url));

export interface CliRun {
  child: ChildProcess;
  /** Every stderr line, parsed when it is JSON. */
  logs: Array<Record<string, unknown>>;
  stderr: string[];
  stdout: string[];
  /** Resolves with the first log line that matches. */
  waitLog(match: (l: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs the built CLI as a person would, collecting its stderr. */
export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; stdin?: 'pipe' | 'ignore' } = {}): CliRun {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  const logs: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  const stdout: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => stdout.push(line));
  const waiters: Array<{ match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }> = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderr.push(line);
    let parsed: Record<string, unknown> | undefined;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    logs.push(parsed);
    for (const w of [...waiters])
      if (w.match(parsed)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(parsed);
      }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    logs,
    stderr,
    stdout,
    exited,
    waitLog(match, ms = 15_000) {
      const hit = logs.find(match);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no such log line within ${ms} ms; stderr:\n${stderr.join('\n')}`)), ms);
        waiters.push({
          match,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
        void exited.then(() => reject(new Error(`mcproxy exited first; stderr:\n${stderr.join('\n')}`)));
      });
    },
  };
}

/** Resolves true once the process is gone (zombies count as gone), false after `ms`. */
export const gone = (pid: number, ms = 5000): Promise<boolean> => eventually(() => !isAlive(pid), ms);

/** Ends what a test left running: its clients first, then every CLI run still alive (`signal`, default SIGKILL). */
export async function stopRuns(runs: CliRun[], clients: Array<{ close(): Promise<unknown> }> = [], signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  await Promise.allSettled(clients.splice(0).map((c) => c.close()));
  for (const r of runs.splice(0)) {
    if (r.child.exitCode !== null || r.child.signalCode !== null) continue;
    r.child.kill(signal);
    await r.exited;
  }
}
