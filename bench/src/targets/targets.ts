import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BENCH_API_KEY, startBenchIssuer } from './auth-targets.js';
import { waitForListening } from '../client/mcp-http.js';
import { MODERN_PROTOCOL_VERSION } from '../client/mcp-modern.js';
import { descendants, freePort, startChild, stopChild, type Child } from './processes.js';

/** Where the bench finds what it starts. */
export interface Paths {
  /** bench/ */
  benchDir: string;
  /** A scratch folder for generated pipeline files and profiles. */
  workDir: string;
}

export const TARGET_KEYS = [
  'floor',
  'floor-relay-stdio',
  'floor-relay-http',
  'floor-relay-modern',
  'direct',
  'mcproxy-stdio',
  'mcproxy-http',
  'mcproxy-chain3',
  'mcp-proxy',
  'supergateway',
  'direct-modern',
  'mcproxy-modern',
  'mcproxy-metrics',
  'mcproxy-traced',
  'mcproxy-apikey',
  'mcproxy-jwt',
  'mcproxy-audit',
  'mcproxy-guarded',
  'mcproxy-store',
  'mcproxy-forwarded',
] as const;
export type TargetKey = (typeof TARGET_KEYS)[number];

export const TARGET_LABELS: Record<TargetKey, string> = {
  floor: 'floor (bare node:http: read, JSON.parse, write a result)',
  'floor-relay-stdio': 'floor of a proxy: bare node:http relay → bare stdio child',
  'floor-relay-http': 'floor of a proxy: bare node:http relay → the floor server (keep-alive)',
  'floor-relay-modern': 'floor of a proxy, 2026-07-28: bare node:http relay → the v2 SDK server (keep-alive)',
  direct: 'direct (SDK streamable HTTP server)',
  'mcproxy-stdio': 'mcproxy HTTP → stdio',
  'mcproxy-http': 'mcproxy HTTP → HTTP (SDK server)',
  'mcproxy-chain3': 'mcproxy ×3 chain → stdio',
  'mcp-proxy': 'mcp-proxy 6 HTTP → stdio',
  supergateway: 'supergateway 4 HTTP → stdio',
  'direct-modern': 'direct, 2026-07-28 (v2 SDK stateless server)',
  'mcproxy-modern': 'mcproxy HTTP → HTTP, 2026-07-28 (v2 SDK server)',
  'mcproxy-metrics': 'mcproxy HTTP → stdio, admin listener on (metrics, dashboard feed)',
  'mcproxy-traced': 'mcproxy HTTP → stdio, admin on and every request traced (OTLP/HTTP to a local sink)',
  'mcproxy-apikey': 'mcproxy HTTP → stdio, API key',
  'mcproxy-jwt': 'mcproxy HTTP → stdio, JWT (ES256)',
  'mcproxy-audit': 'mcproxy HTTP → stdio, audit log (one line per request, to a file)',
  'mcproxy-guarded': 'mcproxy HTTP → stdio, API key + admin listener (metrics) + audit log, all at once',
  'mcproxy-store': 'mcproxy HTTP → stdio, one of several replicas (store: Redis), the session held here',
  'mcproxy-forwarded': 'mcproxy HTTP → stdio, every call landing on the replica that does not hold the session (forwarded)',
};

/** The targets that authenticate every request, each against `mcproxy-stdio` (the same proxy without auth). */
export const AUTH_TARGETS: ReadonlySet<TargetKey> = new Set<TargetKey>(['mcproxy-apikey', 'mcproxy-jwt']);

/** The targets a client speaks 2026-07-28 to (no session; the envelope in every request). */
export const MODERN_TARGETS: ReadonlySet<TargetKey> = new Set<TargetKey>(['direct-modern', 'floor-relay-modern', 'mcproxy-modern']);

/**
 * Each 2026-07-28 target's own baseline: the same server served directly.
 * Ratios to it say what the proxy costs in that revision, beside the ratios to
 * `direct` that every target gets.
 */
export const MODERN_BASELINE = 'direct-modern' satisfies TargetKey;

/** The legacy target each 2026-07-28 target is the counterpart of (same path, older revision). */
export const LEGACY_COUNTERPART: Partial<Record<TargetKey, TargetKey>> = { 'direct-modern': 'direct', 'mcproxy-modern': 'mcproxy-http' };

/** A running target: the URL a client talks to and every process behind it. */
export interface Target {
  key: TargetKey;
  label: string;
  url: string;
  /** Spoken to in 2026-07-28 (see MODERN_TARGETS). */
  modern: boolean;
  /** The process a client connects to (for RSS and profiles). */
  front: Child;
  /** What the client sends as `Authorization: Bearer …`, for the targets with auth. */
  credential?: string | undefined;
  children: Child[];
  /** Where calls go, when not to `url` (the session is opened at `url`: `mcproxy-forwarded` calls another replica). */
  callUrl?: string | undefined;
  /** Every live pid behind this target (children of children too), for CPU accounting. */
  pids(): number[];
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Extra node flags for the front mcproxy process (e.g. --cpu-prof). */
  nodeFlags?: string[];
  /** Extra environment for it. */
  env?: NodeJS.ProcessEnv;
}

const node = process.execPath;
const READY_MS = 20_000;

export const echoStdio = (paths: Paths): string => join(paths.benchDir, 'dist', 'servers', 'echo-stdio.js');
/** The CLI the bench runs: this workspace's build, or `MCPROXY_BENCH_BIN` (another build's `bin.js`, to compare two builds in one run). */
export const mcproxyBin = (paths: Paths): string =>
  (process.env.MCPROXY_BENCH_BIN || undefined) ?? join(paths.benchDir, 'node_modules', '@mcproxy', 'cli', 'dist', 'bin.js');

async function ready(child: Child, url: string): Promise<void> {
  try {
    await waitForListening(url, READY_MS, () => child.proc.exitCode === null && child.proc.signalCode === null);
  } catch (err) {
    await stopChild(child);
    throw new Error(`${child.name}: ${err instanceof Error ? err.message : String(err)}\n${child.tail()}`);
  }
}

/** The echo server behind the SDK's streamable HTTP server transport, in its own process. */
export async function startEchoHttp(paths: Paths, name: string, extraTools = 0): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/mcp`;
  const child = startChild(name, node, [join(paths.benchDir, 'dist', 'servers', 'echo-http.js'), '--port', String(port), '--tools', String(extraTools)]);
  await ready(child, url);
  return { child, url };
}

/** The floor server (`servers/floor-http.ts`), in its own process. */
async function startFloor(paths: Paths, name: string): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/mcp`;
  const child = startChild(name, node, [join(paths.benchDir, 'dist', 'servers', 'floor-http.js'), '--port', String(port)]);
  await ready(child, url);
  return { child, url };
}

/** The large-message case's HTTP server (`servers/large-http.ts`), in its own process. */
export async function startLargeHttp(paths: Paths): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/mcp`;
  const child = startChild('large-http', node, [join(paths.benchDir, 'dist', 'servers', 'large-http.js'), '--port', String(port)]);
  await ready(child, url);
  return { child, url };
}

/** The 2026-07-28 echo server (v2 SDK, stateless streamable HTTP), in its own process. */
export async function startEchoModern(paths: Paths, name: string): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/mcp`;
  const child = startChild(name, node, [join(paths.benchDir, 'dist', 'servers', 'echo-modern.js'), '--port', String(port)]);
  await ready(child, url);
  return { child, url };
}

/**
 * One mcproxy process running the pipeline `config` (its `serve.http` is
 * filled in here with a free loopback port), logging at warn so that
 * logging does not weigh on the figures.
 */
export async function startMcproxy(
  paths: Paths,
  name: string,
  config: Record<string, unknown>,
  options: StartOptions = {},
): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const file = join(paths.workDir, `${name}.json`);
  const store = config.store as Record<string, unknown> | undefined;
  const placed = store === undefined ? config : { ...config, store: { advertise: `http://127.0.0.1:${port}`, ...store } };
  writeFileSync(file, JSON.stringify({ serve: { http: { host: '127.0.0.1', port } }, ...placed }, null, 2));
  const child = startChild(name, node, [...(options.nodeFlags ?? []), mcproxyBin(paths), '--config', file, '--log-level', 'warn'], options.env);
  const url = `http://127.0.0.1:${port}/mcp`;
  await ready(child, url);
  return { child, url };
}

/** `helpers` are stopped with the target but their CPU is not its own (a trace collector's). */
function target(
  key: TargetKey,
  url: string,
  children: Child[],
  helpers: Child[] = [],
  extra: { credential?: string; stop?: () => Promise<void>; callUrl?: string } = {},
): Target {
  const front = children[0] as Child;
  return {
    key,
    credential: extra.credential,
    callUrl: extra.callUrl,
    label: TARGET_LABELS[key],
    url,
    modern: MODERN_TARGETS.has(key),
    front,
    children,
    pids: () => children.flatMap((c) => [c.pid, ...descendants(c.pid)]).filter((p, i, all) => all.indexOf(p) === i),
    // Front first, so nothing is left calling an upstream that is already gone.
    stop: async () => {
      for (const c of [...children, ...helpers]) await stopChild(c);
      await extra.stop?.();
    },
  };
}

const stdioUpstream = (paths: Paths): Record<string, unknown> => ({ echo: { command: node, args: [echoStdio(paths)] } });

/** Starts one target with everything behind it; throws (having stopped what it started) if it cannot. */
export async function startTarget(key: TargetKey, paths: Paths, options: StartOptions = {}): Promise<Target> {
  const started: Child[] = [];
  try {
    switch (key) {
      case 'floor': {
        const floor = await startFloor(paths, 'floor');
        return target(key, floor.url, [floor.child]);
      }
      case 'floor-relay-stdio':
      case 'floor-relay-http':
      case 'floor-relay-modern': {
        const behind =
          key === 'floor-relay-http'
            ? await startFloor(paths, 'floor-relay-upstream')
            : key === 'floor-relay-modern'
              ? await startEchoModern(paths, 'floor-relay-modern-upstream')
              : undefined;
        if (behind !== undefined) started.push(behind.child);
        const port = await freePort();
        const url = `http://127.0.0.1:${port}/mcp`;
        const how = behind === undefined ? ['--stdio'] : ['--upstream', behind.url];
        const child = startChild(key, node, [join(paths.benchDir, 'dist', 'servers', 'floor-relay.js'), '--port', String(port), ...how]);
        await ready(child, url);
        return target(key, url, behind === undefined ? [child] : [child, behind.child]);
      }
      case 'direct': {
        const echo = await startEchoHttp(paths, 'direct');
        return target(key, echo.url, [echo.child]);
      }
      case 'mcproxy-stdio': {
        const p = await startMcproxy(paths, 'mcproxy-stdio', { upstreams: stdioUpstream(paths) }, options);
        return target(key, p.url, [p.child]);
      }
      case 'mcproxy-http': {
        const echo = await startEchoHttp(paths, 'mcproxy-http-upstream');
        started.push(echo.child);
        const p = await startMcproxy(paths, 'mcproxy-http', { upstreams: { echo: { url: echo.url } } }, options);
        return target(key, p.url, [p.child, echo.child]);
      }
      case 'mcproxy-chain3': {
        const last = await startMcproxy(paths, 'chain-3', { upstreams: stdioUpstream(paths) });
        started.push(last.child);
        const middle = await startMcproxy(paths, 'chain-2', { upstreams: { next: { url: last.url } } });
        started.push(middle.child);
        const first = await startMcproxy(paths, 'chain-1', { upstreams: { next: { url: middle.url } } }, options);
        return target(key, first.url, [first.child, middle.child, last.child]);
      }
      case 'mcp-proxy': {
        const port = await freePort();
        const bin = join(paths.benchDir, 'node_modules', 'mcp-proxy', 'dist', 'bin', 'mcp-proxy.mjs');
        const child = startChild('mcp-proxy', node, [bin, '--host', '127.0.0.1', '--port', String(port), '--server', 'stream', '--', node, echoStdio(paths)]);
        const url = `http://127.0.0.1:${port}/mcp`;
        await ready(child, url);
        return target(key, url, [child]);
      }
      case 'supergateway': {
        // supergateway has no host option and listens on every interface; the
        // preload pins its listen() to loopback. Its own logging is turned off
        // (at "info" it logs every message), as mcproxy's is turned down.
        const port = await freePort();
        const bin = join(paths.benchDir, 'node_modules', 'supergateway', 'dist', 'index.js');
        const loopback = pathToFileURL(join(paths.benchDir, 'dist', 'targets', 'loopback-only.js')).href;
        const child = startChild('supergateway', node, [
          '--import',
          loopback,
          bin,
          '--stdio',
          `${node} ${echoStdio(paths)}`,
          '--outputTransport',
          'streamableHttp',
          '--stateful',
          '--port',
          String(port),
          '--logLevel',
          'none',
        ]);
        const url = `http://127.0.0.1:${port}/mcp`;
        await ready(child, url);
        return target(key, url, [child]);
      }
      case 'mcproxy-metrics': {
        // What mcproxy-stdio runs, plus the admin listener: every request counted, timed and fed to the chart.
        const admin = { host: '127.0.0.1', port: await freePort() };
        const p = await startMcproxy(paths, 'mcproxy-metrics', { upstreams: stdioUpstream(paths), admin }, options);
        return target(key, p.url, [p.child]);
      }
      case 'mcproxy-traced': {
        // And a span pair per request, batched and exported to a receiver that takes them and keeps nothing.
        const port = await freePort();
        const sink = startChild('otlp-sink', node, [join(paths.benchDir, 'dist', 'servers', 'otlp-sink.js'), '--port', String(port)]);
        started.push(sink);
        const admin = { host: '127.0.0.1', port: await freePort() };
        const tracing = { endpoint: `http://127.0.0.1:${port}` };
        const p = await startMcproxy(paths, 'mcproxy-traced', { upstreams: stdioUpstream(paths), admin, tracing }, options);
        return target(key, p.url, [p.child], [sink]);
      }
      case 'mcproxy-apikey': {
        const auth = { apiKeys: [{ id: 'bench', key: BENCH_API_KEY }] };
        const p = await startMcproxy(paths, 'mcproxy-apikey', { upstreams: stdioUpstream(paths), auth }, options);
        return target(key, p.url, [p.child], [], { credential: BENCH_API_KEY });
      }
      case 'mcproxy-audit':
      case 'mcproxy-guarded': {
        // The audit log as docs/security.md configures it: one line per client request, to a file.
        const pipeline = [{ use: 'logging', with: { audit: true, destination: join(paths.workDir, `${key}-audit.log`) } }];
        const guarded = key === 'mcproxy-guarded';
        const extra = guarded ? { auth: { apiKeys: [{ id: 'bench', key: BENCH_API_KEY }] }, admin: { host: '127.0.0.1', port: await freePort() } } : {};
        const p = await startMcproxy(paths, key, { upstreams: stdioUpstream(paths), pipeline, ...extra }, options);
        return target(key, p.url, [p.child], [], guarded ? { credential: BENCH_API_KEY } : {});
      }
      case 'mcproxy-jwt': {
        const issuer = await startBenchIssuer();
        try {
          const p = await startMcproxy(paths, 'mcproxy-jwt', { upstreams: stdioUpstream(paths), auth: issuer.auth }, options);
          return target(key, p.url, [p.child], [], { credential: issuer.token, stop: () => issuer.close() });
        } catch (err) {
          await issuer.close();
          throw err;
        }
      }
      case 'mcproxy-store': {
        const redis = await startRedisServer();
        started.push(redis.child);
        const p = await startMcproxy(paths, 'mcproxy-store', { upstreams: stdioUpstream(paths), store: replicaStore(redis.url, 'one') }, options);
        return target(key, p.url, [p.child, redis.child]);
      }
      case 'mcproxy-forwarded': {
        // The session opens on `holder`; every call goes to `front`, which pipes it to `holder` and its answer back.
        const redis = await startRedisServer();
        started.push(redis.child);
        const holder = await startMcproxy(paths, 'mcproxy-holder', { upstreams: stdioUpstream(paths), store: replicaStore(redis.url, 'holder') });
        started.push(holder.child);
        const front = await startMcproxy(paths, 'mcproxy-front', { upstreams: stdioUpstream(paths), store: replicaStore(redis.url, 'front') }, options);
        return target(key, holder.url, [front.child, holder.child, redis.child], [], { callUrl: front.url });
      }
      case 'direct-modern': {
        const echo = await startEchoModern(paths, 'direct-modern');
        return target(key, echo.url, [echo.child]);
      }
      case 'mcproxy-modern': {
        // Pinned, so mcproxy never probes the upstream: every request goes out in 2026-07-28.
        const echo = await startEchoModern(paths, 'mcproxy-modern-upstream');
        started.push(echo.child);
        const upstreams = { echo: { url: echo.url, protocol: MODERN_PROTOCOL_VERSION } };
        const p = await startMcproxy(paths, 'mcproxy-modern', { upstreams }, options);
        return target(key, p.url, [p.child, echo.child]);
      }
    }
  } catch (err) {
    for (const c of started) await stopChild(c);
    throw err;
  }
}

/** The `store:` of a bench replica: advertise is filled in by startMcproxy from its port. */
const replicaStore = (url: string, id: string): Record<string, unknown> => ({ redis: { url }, replicaId: `bench-${id}` });

/** A redis-server of the bench's own on a free loopback port, nothing saved (Debian's redis-server package). */
async function startRedisServer(): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const child = startChild('redis', process.env.REDIS_SERVER ?? 'redis-server', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
  ]);
  try {
    await waitForListening(`http://127.0.0.1:${port}/`, READY_MS, () => child.proc.exitCode === null && child.proc.signalCode === null);
  } catch (err) {
    await stopChild(child);
    throw new Error(`redis-server (install Debian's redis-server package): ${err instanceof Error ? err.message : String(err)}`);
  }
  return { child, url: `redis://127.0.0.1:${port}/0` };
}
