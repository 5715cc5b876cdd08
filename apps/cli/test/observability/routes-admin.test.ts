import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, stopRuns, type CliRun } from '../kit/cli-process.js';
import { parseMetrics } from '../kit/observability-kit.js';

// The admin listener of a proxy with several routes: every route's upstreams, and what a reload makes of them.

const NAMED = fileURLToPath(new URL('../kit/named-server.mjs', import.meta.url));
const named = (name: string) => ({ command: process.execPath, args: [NAMED, name] });
/** A stdio upstream that exits at once: never up. */
const broken = { command: process.execPath, args: ['-e', 'process.exit(3)'], required: true };
const runs: CliRun[] = [];
const clients: Client[] = [];
let dir: string | undefined;

afterEach(async () => {
  await stopRuns(runs, clients);
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function writePipeline(content: unknown): Promise<string> {
  dir ??= await mkdtemp(join(tmpdir(), 'mcproxy-routes-admin-'));
  const file = join(dir, 'pipeline.json');
  await writeFile(file, JSON.stringify(content, null, 2));
  return file;
}

async function serve(file: string): Promise<{ run: CliRun; routes: Record<string, string>; admin: string }> {
  const run = runCli(['--config', file]);
  runs.push(run);
  const admin = (await run.waitLog((l) => l.msg?.toString().startsWith('admin listener ready') === true)).url as string;
  const ready = await run.waitLog((l) => l.msg === 'proxy ready');
  return { run, routes: ready.routes as Record<string, string>, admin };
}

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: 'routes-admin', version: '1' });
  clients.push(client);
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

interface Entry {
  route: string;
  name: string;
  state: string;
  required: boolean;
  sessions: number;
}
const servers = async (admin: string): Promise<Entry[]> => ((await (await fetch(`${admin}/health/servers`)).json()) as { upstreams: Entry[] }).upstreams;
const metrics = async (admin: string): Promise<Map<string, number>> => parseMetrics(await (await fetch(`${admin}/metrics`)).text());
const readyz = async (admin: string): Promise<{ status: number; body: { status: string; reason?: string } }> => {
  const res = await fetch(`${admin}/readyz`);
  return { status: res.status, body: (await res.json()) as { status: string; reason?: string } };
};
const poll = async <T>(get: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 10_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`waited in vain for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};
const brief = (list: Entry[]) => list.map((u) => `${u.route} ${u.name}`);

describe('the admin listener with routes', () => {
  it('reports every route’s upstreams in /health/servers and /metrics, labelled by route, after traffic to each', async () => {
    const file = await writePipeline({
      serve: { http: { port: 0 } },
      admin: { port: 0, probeIntervalMs: 100 },
      routes: { '/one': { upstreams: { one: { ...named('one'), required: true } } }, '/two': { upstreams: { two: named('two') } } },
    });
    const { routes, admin } = await serve(file);
    expect(new URL(routes['/one']!).port).toBe(new URL(routes['/two']!).port);
    const one = await connect(routes['/one']!);
    const two = await connect(routes['/two']!);
    await one.callTool({ name: 'one_echo', arguments: {} });
    await two.callTool({ name: 'two_echo', arguments: {} });
    await two.callTool({ name: 'two_echo', arguments: {} });

    const list = await poll(
      () => servers(admin),
      (l) => l.length === 2 && l.every((u) => u.state === 'up'),
      'both routes’ upstreams up',
    );
    expect(list).toEqual([
      expect.objectContaining({ route: '/one', name: 'one', state: 'up', required: true, sessions: 1 }),
      expect.objectContaining({ route: '/two', name: 'two', state: 'up', required: false, sessions: 1 }),
    ]);
    expect((await readyz(admin)).status).toBe(200);

    const m = await metrics(admin);
    expect(m.get('mcproxy_requests_total{route="/one",method="tools/call",upstream="one",outcome="ok"}')).toBe(1);
    expect(m.get('mcproxy_requests_total{route="/two",method="tools/call",upstream="two",outcome="ok"}')).toBe(2);
    expect(m.get('mcproxy_upstream_requests_total{route="/two",method="tools/call",upstream="two",outcome="ok"}')).toBe(2);
    expect(m.get('mcproxy_upstream_up{route="/one",upstream="one"}')).toBe(1);
    expect(m.get('mcproxy_upstream_up{route="/two",upstream="two"}')).toBe(1);
    expect(m.get('mcproxy_sessions{route="/one"}')).toBe(1);
    expect(m.get('mcproxy_sessions{route="/two"}')).toBe(1);
    // A route's upstream is never counted under the other route.
    expect(m.has('mcproxy_requests_total{route="/one",method="tools/call",upstream="two",outcome="ok"}')).toBe(false);
  });

  it('follows reloads: a route added (with a required upstream that is down) and an upstream removed show in /health/servers, /readyz and /metrics', async () => {
    const base = { serve: { http: { port: 0 } }, admin: { port: 0, probeIntervalMs: 100 } };
    const file = await writePipeline({
      ...base,
      routes: { '/one': { upstreams: { one: named('one'), old: named('old') } }, '/two': { upstreams: { two: named('two') } } },
    });
    const { run, routes, admin } = await serve(file);
    await poll(
      () => servers(admin),
      (l) => l.length === 3 && l.every((u) => u.state === 'up'),
      'every upstream up',
    );
    expect((await readyz(admin)).status).toBe(200);
    expect((await metrics(admin)).get('mcproxy_upstream_up{route="/one",upstream="old"}')).toBe(1);

    // Reload 1: "old" leaves /one; /three comes with a required upstream that never starts.
    await writePipeline({
      ...base,
      routes: {
        '/one': { upstreams: { one: named('one') } },
        '/two': { upstreams: { two: named('two') } },
        '/three': { upstreams: { three: named('three'), broken } },
      },
    });
    run.child.kill('SIGHUP');
    expect(await run.waitLog((l) => l.msg === 'reloaded')).toMatchObject({ routesAdded: ['/three'] });
    const after = await servers(admin);
    expect(brief(after)).toEqual(['/one one', '/two two', '/three three', '/three broken']);
    expect(after.find((u) => u.name === 'broken')).toMatchObject({ route: '/three', required: true });
    const notReady = await poll(
      () => readyz(admin),
      (r) => r.status === 503 && r.body.reason?.includes('"broken"') === true,
      'not ready for /three',
    );
    expect(notReady.body.reason).toContain('required upstream "broken" of /three is');
    const m = await poll(
      () => metrics(admin),
      (v) => v.get('mcproxy_upstream_up{route="/three",upstream="three"}') === 1,
      'the new route’s upstream up in the metrics',
    );
    // The removed upstream's gauge is gone rather than left claiming it is up.
    expect(m.has('mcproxy_upstream_up{route="/one",upstream="old"}')).toBe(false);
    expect(m.get('mcproxy_upstream_up{route="/three",upstream="broken"}')).toBe(0);
    const three = await connect(new URL('/three', routes['/one']).href);
    await three.callTool({ name: 'three_echo', arguments: {} });
    expect((await metrics(admin)).get('mcproxy_requests_total{route="/three",method="tools/call",upstream="three",outcome="ok"}')).toBe(1);

    // Reload 2: /two and the broken upstream go; readiness follows.
    await writePipeline({ ...base, routes: { '/one': { upstreams: { one: named('one') } }, '/three': { upstreams: { three: named('three') } } } });
    run.child.kill('SIGHUP');
    expect(await run.waitLog((l) => l.msg === 'reloaded' && (l.routesRemoved as string[] | undefined)?.includes('/two') === true)).toBeDefined();
    expect(brief(await servers(admin))).toEqual(['/one one', '/three three']);
    expect(
      await poll(
        () => readyz(admin),
        (r) => r.status === 200,
        'ready once the broken upstream is gone',
      ),
    ).toMatchObject({ body: { status: 'ready' } });
    const last = await metrics(admin);
    expect(last.has('mcproxy_upstream_up{route="/two",upstream="two"}')).toBe(false);
    expect(last.has('mcproxy_sessions{route="/two"}')).toBe(false);
  });
});
