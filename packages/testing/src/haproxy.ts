import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

/** One backend HAProxy balances over: the face on `port`, its readiness (`GET /readyz`) on `adminPort`. */
export interface HaproxyBackend {
  name: string;
  port: number;
  adminPort: number;
}

/** A running HAProxy in front of the backends a test gave it. */
export interface TestHaproxy {
  /** `http://127.0.0.1:<port>`: the frontend (add the MCP path). */
  readonly url: string;
  readonly port: number;
  /** What HAProxy thinks of each backend: its health status (`UP`, `DOWN`, …) and how many responses it returned. */
  backends(): Promise<Record<string, { status: string; responses: number }>>;
  /** Ends it (SIGTERM, SIGKILL after 2 s), waits for the exit and removes its config. */
  stop(): Promise<void>;
}

const BINARY = process.env.HAPROXY ?? '/usr/sbin/haproxy';
const MISSING = `haproxy is not installed (${BINARY} is missing): the replica tests need a real load balancer (apt-get install haproxy, or set HAPROXY to its path)`;

/**
 * The config: round robin per request with no stickiness (a keep-alive
 * client connection is balanced request by request, as `prefer-last-server`
 * is off), readiness checks on each admin port fast enough for a test to see
 * a replica go and come back, and timeouts long enough for SSE streams. A
 * request whose connection is refused (a replica just killed, not yet marked
 * down) is sent to another server, as any load balancer does; nothing is
 * retried once sent.
 */
function config(frontendPort: number, statsPort: number, backends: readonly HaproxyBackend[]): string {
  const servers = backends.map((b) => `  server ${b.name} 127.0.0.1:${b.port} check port ${b.adminPort} inter 300ms fall 2 rise 1`);
  return [
    'global',
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 5m',
    '  timeout server 5m',
    '  timeout tunnel 5m',
    '  timeout http-request 10s',
    '  timeout http-keep-alive 10s',
    '  timeout check 1s',
    '  retries 3',
    '  option redispatch 1',
    'frontend mcp',
    `  bind 127.0.0.1:${frontendPort}`,
    '  default_backend replicas',
    'backend replicas',
    '  balance roundrobin',
    '  http-reuse safe',
    '  option httpchk',
    // A Host header: an admin listener on loopback answers to loopback names only.
    '  http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host 127.0.0.1',
    '  http-check expect status 200',
    ...servers,
    'frontend stats',
    `  bind 127.0.0.1:${statsPort}`,
    '  stats enable',
    '  stats uri /stats',
    '',
  ].join('\n');
}

/** Parses HAProxy's CSV stats into the servers of backend `replicas`. */
function parseStats(csv: string): Record<string, { status: string; responses: number }> {
  const [header = '', ...rows] = csv.trim().split('\n');
  const columns = header.replace(/^# /, '').split(',');
  const at = (name: string): number => columns.indexOf(name);
  const codes = ['hrsp_1xx', 'hrsp_2xx', 'hrsp_3xx', 'hrsp_4xx', 'hrsp_5xx', 'hrsp_other'].map(at);
  const out: Record<string, { status: string; responses: number }> = {};
  for (const row of rows) {
    const cells = row.split(',');
    const server = cells[at('svname')] ?? '';
    if (cells[at('pxname')] !== 'replicas' || server === 'BACKEND' || server === 'FRONTEND') continue;
    out[server] = { status: cells[at('status')] ?? '', responses: codes.reduce((sum, i) => sum + Number(cells[i] ?? 0), 0) };
  }
  return out;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * A real HAProxy (`haproxy -f <cfg> -db`, a child of this process) on a free
 * loopback port, balancing round robin over `backends`; resolves once it
 * listens. Fails, never skips, when haproxy is not installed. Backends that
 * are not ready yet are simply marked down until their `/readyz` says 200.
 *
 * @example
 * const lb = await startHaproxy({ backends: [{ name: 'r1', port: 8081, adminPort: 9081 }] });
 * teardown.add(() => lb.stop());
 */
export async function startHaproxy(options: { backends: ReadonlyArray<HaproxyBackend> }): Promise<TestHaproxy> {
  if (!existsSync(BINARY)) throw new Error(MISSING);
  const dir = await mkdtemp(join(tmpdir(), 'mcproxy-haproxy-'));
  const file = join(dir, 'haproxy.cfg');
  let child: ChildProcess | undefined;
  let port = 0;
  let statsPort = 0;
  let said = '';
  // Another process may take a free port before HAProxy binds it: try a few.
  for (let attempt = 0; child === undefined; attempt++) {
    [port, statsPort] = [await freePort(), await freePort()];
    await writeFile(file, config(port, statsPort, options.backends));
    said = '';
    const started = spawn(BINARY, ['-f', file, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer): void => {
      said = (said + chunk.toString('utf8')).slice(-4000);
    };
    started.stdout?.on('data', keep);
    started.stderr?.on('data', keep);
    const ok = await listening(started, statsPort);
    if (ok) child = started;
    else {
      started.kill('SIGKILL');
      await exited(started);
      if (attempt >= 4 || !said.includes('cannot bind')) {
        await rm(dir, { recursive: true, force: true });
        throw new Error(`haproxy did not start: ${said.trim()}`);
      }
    }
  }
  const stats = `http://127.0.0.1:${statsPort}/stats;csv`;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async backends() {
      const response = await fetch(stats);
      return parseStats(await response.text());
    },
    async stop() {
      const c = child;
      child = undefined;
      if (c !== undefined) {
        const killer = setTimeout(() => c.kill('SIGKILL'), 2000);
        c.kill('SIGTERM');
        await exited(c);
        clearTimeout(killer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until HAProxy answers its stats page (true), or exits or takes 5 s (false). */
async function listening(child: ChildProcess, statsPort: number): Promise<boolean> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    const ok = await fetch(`http://127.0.0.1:${statsPort}/stats;csv`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}
