import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from './ports.js';

/** A redis-server a test started: on a loopback port of its own, no persistence. */
export interface TestRedis {
  /** `redis://127.0.0.1:<port>/0` */
  readonly url: string;
  readonly port: number;
  /** Ends it (SIGTERM, SIGKILL after 2 s) and waits for the exit. */
  stop(): Promise<void>;
  /** SIGKILL, now: the outage a test provokes. */
  kill(): void;
  /** Ends it if it runs, then starts a new one on the same port, with no data. */
  restart(): Promise<void>;
}

const MISSING = 'redis-server is not installed: the store tests need a real Redis (apt-get install redis-server, or set REDIS_SERVER to its path)';

/** Starts redis-server on `port`; resolves once it accepts connections, rejects with what it said otherwise. */
function launch(port: number): Promise<ChildProcess> {
  const bin = process.env.REDIS_SERVER ?? 'redis-server';
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let said = '';
    const onData = (chunk: Buffer): void => {
      said = (said + chunk.toString('utf8')).slice(-4000);
      if (said.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData);
        // The rest of its output is read and dropped, so a full pipe never stalls it.
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' ? new Error(MISSING) : err));
    child.once('exit', (code, signal) => reject(new Error(`redis-server on port ${port} exited (${code ?? signal}) before it was ready: ${said.trim()}`)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * A real redis-server for a test, on a free loopback port, keeping nothing
 * on disk (`--save "" --appendonly no`), so `restart` comes back empty, as
 * a Redis without persistence does after a crash. Fails, never skips, when
 * redis-server is not installed: the test says what to install.
 *
 * @example
 * const redis = await startRedis();
 * teardown.add(() => redis.stop());
 */
export async function startRedis(): Promise<TestRedis> {
  let child: ChildProcess | undefined;
  let port = 0;
  // Another process may take the free port before redis-server binds it: try a few.
  for (let attempt = 0; child === undefined; attempt++) {
    port = await freePort();
    try {
      child = await launch(port);
    } catch (err) {
      if (attempt >= 4 || !String(err).includes('Address already in use')) throw err;
    }
  }
  const end = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (c === undefined) return;
    const killer = setTimeout(() => c.kill('SIGKILL'), 2000);
    c.kill('SIGTERM');
    await exited(c);
    clearTimeout(killer);
  };
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    stop: end,
    kill() {
      child?.kill('SIGKILL');
    },
    async restart() {
      if (child !== undefined) {
        child.kill('SIGKILL');
        await exited(child);
      }
      child = await launch(port);
    },
  };
}
