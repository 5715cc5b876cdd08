import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { runCli, type CliRun } from './cli-process.js';

const resolver = createRequire(import.meta.url);

/** The file a package's bin runs, from the copy installed beside this test: no npx, no network. */
export function binOf(pkg: string): string {
  const manifest = resolver.resolve(`${pkg}/package.json`);
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin?: string | Record<string, string> };
  const entry = typeof bin === 'string' ? bin : Object.values(bin ?? {})[0];
  if (entry === undefined) throw new Error(`${pkg} has no bin`);
  return join(dirname(manifest), entry);
}

export const EVERYTHING = binOf('@modelcontextprotocol/server-everything');
export const MEMORY = binOf('@modelcontextprotocol/server-memory');
export const FILESYSTEM = binOf('@modelcontextprotocol/server-filesystem');
/** `mcp-inspector`: with `--cli` it runs the Inspector's command-line client. */
export const INSPECTOR = binOf('@modelcontextprotocol/inspector');

export interface InspectorRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const running = new Set<ChildProcess>();

/**
 * Runs `mcp-inspector --cli <args>` to its end. The launcher starts the real
 * client as its own child, so each run gets a process group of its own: on a
 * timeout, or in `killInspectors`, the whole group goes.
 */
export function inspector(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<InspectorRun> {
  const child = spawn(process.execPath, [INSPECTOR, '--cli', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
    detached: true,
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
  });
  const ms = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup(child);
      reject(new Error(`mcp-inspector ${args.join(' ')} did not finish within ${ms} ms; stderr:\n${stderr}`));
    }, ms);
    child.once('error', (err) => {
      clearTimeout(timer);
      running.delete(child);
      reject(err);
    });
    // 'close', not 'exit': both pipes are drained by then.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Runs the Inspector CLI and returns the JSON it printed, failing with its stderr when it did not succeed. */
export async function inspectorJson<T>(args: string[], options?: { env?: NodeJS.ProcessEnv }): Promise<T> {
  const run = await inspector(args, options);
  if (run.code !== 0) throw new Error(`mcp-inspector ${args.join(' ')} exited ${run.code ?? run.signal}; stderr:\n${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Kills whatever Inspector runs are still going (after a failed test) and waits for them. */
export async function killInspectors(): Promise<void> {
  const left = [...running];
  await Promise.all(
    left.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('close', () => resolve());
          killGroup(child);
        }),
    ),
  );
}

export interface Tool {
  name: string;
  inputSchema?: unknown;
}

export interface CallResult {
  content: Array<{ type: string; text?: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

export const toolNames = (list: { tools: Tool[] }): string[] => list.tools.map((t) => t.name);

export interface Proxy {
  run: CliRun;
  url: string;
}

/** Writes a pipeline file with these stdio upstreams behind `aggregate` and runs the built CLI on it. */
export async function startProxy(dir: string, upstreams: Record<string, { args: string[]; env?: Record<string, string> }>): Promise<Proxy> {
  const file = join(dir, 'pipeline.yaml');
  const pipeline = {
    serve: { http: { host: '127.0.0.1', port: 0 } },
    upstreams: Object.fromEntries(Object.entries(upstreams).map(([name, u]) => [name, { command: process.execPath, args: u.args, env: u.env ?? {} }])),
    pipeline: [{ use: 'aggregate' }],
  };
  await writeFile(file, stringify(pipeline));
  const run = runCli(['--config', file]);
  const ready = await run.waitLog((l) => l.msg === 'proxy ready' && typeof l.url === 'string', 30_000);
  return { run, url: ready.url as string };
}

/** The pid of each upstream child the proxy said it started, by upstream name. */
export function upstreamPids(run: CliRun): Map<string, number> {
  const pids = new Map<string, number>();
  for (const l of run.logs) {
    if (typeof l.upstream === 'string' && typeof l.childPid === 'number') pids.set(l.upstream, l.childPid);
  }
  return pids;
}

/** SIGTERM, then up to `ms` for a clean exit; SIGKILL after that. Resolves with how it ended. */
export async function stopProxy(run: CliRun, ms = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (run.child.exitCode !== null || run.child.signalCode !== null) return run.exited;
  run.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  const first = await Promise.race([run.exited, late]);
  clearTimeout(timer);
  if (first !== 'late') return first;
  run.child.kill('SIGKILL');
  await run.exited;
  return { code: null, signal: 'SIGKILL' };
}
