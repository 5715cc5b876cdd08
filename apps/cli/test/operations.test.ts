import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { isAlive, startFixtureHttpServer, type FixtureHttpServer } from '@mcproxy/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { gone, runCli, stopRuns, type CliRun } from './kit/cli-process.js';

const NAMED = fileURLToPath(new URL('./kit/named-server.mjs', import.meta.url));
const runs: CliRun[] = [];
const clients: Client[] = [];
let dir: string | undefined;
let fixture: FixtureHttpServer | undefined;

afterEach(async () => {
  await stopRuns(runs, clients);
  await fixture?.close();
  fixture = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A stdio upstream running named-server.mjs as `name` (with `extra`, a second version of it). */
const named = (name: string, extra?: string) => ({ command: process.execPath, args: [NAMED, name, ...(extra ? [extra] : [])] });

async function folder(): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), 'mcproxy-ops-'));
  return dir;
}

/** Writes a pipeline file (JSON is YAML too) and returns its path. */
async function pipelineFile(content: unknown, name = 'pipeline.json'): Promise<string> {
  const file = join(dir ?? (await folder()), name);
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

async function serve(args: string[]): Promise<{ run: CliRun; ready: Record<string, unknown> }> {
  const run = runCli(['--port', '0', ...args]);
  runs.push(run);
  const ready = await run.waitLog((l) => l.msg === 'proxy ready');
  return { run, ready };
}

async function connect(url: string): Promise<{ client: Client; changes: number[]; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name: 'ops', version: '1' });
  clients.push(client);
  const changes: number[] = [];
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    changes.push(Date.now());
  });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  return { client, changes, transport };
}

const toolNames = async (client: Client): Promise<string[]> => (await client.listTools()).tools.map((t) => t.name).sort();
const textOf = (r: unknown): string => ((r as { content: Array<{ text: string }> }).content[0]?.text ?? '') as string;
const pidOf = async (run: CliRun, upstream: string, not: number[] = []): Promise<number> =>
  (await run.waitLog((l) => l.upstream === upstream && typeof l.childPid === 'number' && !not.includes(l.childPid as number))).childPid as number;
const until = async (check: () => boolean, what: string, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`waited in vain for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('hot reload', () => {
  it('adds, removes and changes upstreams while a call is in flight: the call completes, the session stays and hears list_changed, old children are reaped', async () => {
    const file = await pipelineFile({ upstreams: { a: named('a'), b: named('b') } });
    const { run, ready } = await serve(['--config', file]);
    const { client, changes, transport } = await connect(ready.url as string);
    expect(await toolNames(client)).toEqual(['a_echo', 'a_slow', 'b_echo', 'b_slow']);
    await client.callTool({ name: 'b_echo', arguments: {} });
    const [pidA, pidB] = [await pidOf(run, 'a'), await pidOf(run, 'b')];
    const session = transport.sessionId;

    const slow = client.callTool({ name: 'a_slow', arguments: { ms: 1500 } });
    await new Promise((r) => setTimeout(r, 200));
    await pipelineFile({ upstreams: { b: named('b', 'v2'), c: named('c') } });
    run.child.kill('SIGHUP');
    const reloaded = await run.waitLog((l) => l.msg === 'reloaded');
    expect(reloaded.changed).toMatchObject({ '/mcp': { added: ['c'], removed: ['a'], changed: ['b'], notified: 1 } });

    await until(() => changes.length > 0, 'list_changed');
    expect(isAlive(pidA)).toBe(true); // still answering the slow call
    expect(textOf(await slow)).toBe('a slept 1500');
    expect(await toolNames(client)).toEqual(['b_echo', 'b_extra', 'b_slow', 'c_echo', 'c_slow']);
    expect(textOf(await client.callTool({ name: 'b_extra', arguments: {} }))).toBe('v2');
    expect(transport.sessionId).toBe(session);

    await run.waitLog((l) => l.msg === 'reload drained: retired upstreams and routes closed');
    expect(await gone(pidA)).toBe(true);
    expect(await gone(pidB)).toBe(true);
    const [newB, pidC] = [await pidOf(run, 'b', [pidB]), await pidOf(run, 'c')];
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);
    expect(await gone(newB)).toBe(true);
    expect(await gone(pidC)).toBe(true);
  });

  it('refuses a bad file with the words startup uses, and keeps serving what ran', async () => {
    const file = await pipelineFile({ upstreams: { a: named('a') } });
    const bad = { upstreams: { a: { command: process.execPath, args: 'not a list' } } };
    const startup = runCli(['--config', await pipelineFile(bad, 'bad.json')]);
    runs.push(startup);
    expect((await startup.exited).code).toBe(2);
    const words = startup.stderr.join('\n').replace('mcproxy: ', '').replace('bad.json', 'pipeline.json').replace('\nRun mcproxy --help for usage.', '');

    const { run, ready } = await serve(['--config', file]);
    const { client, changes } = await connect(ready.url as string);
    await pipelineFile(bad);
    run.child.kill('SIGHUP');
    const refused = await run.waitLog((l) => String(l.msg).startsWith('reload refused'));
    expect(refused.msg).toBe(`reload refused; the running configuration stays: ${words}`);

    await pipelineFile({ upstreams: { a: named('a'), gone: { command: 'mcproxy-no-such-command' } } });
    run.child.kill('SIGHUP');
    const missing = await run.waitLog((l) => String(l.msg).includes('mcproxy-no-such-command'));
    expect(missing.msg).toMatch(/^reload refused.*upstreams\.gone: the command "mcproxy-no-such-command" was not found on the PATH/s);
    await pipelineFile({ upstreams: { a: named('a'), b: named('b') }, pipeline: [{ use: 'logginx' }] });
    run.child.kill('SIGHUP');
    const unknown = await run.waitLog((l) => String(l.msg).includes('logginx'));
    expect(unknown.msg).toContain('reload refused; the running configuration stays: pipeline[0] (logginx): unknown middleware "logginx"');
    expect(await toolNames(client)).toEqual(['a_echo', 'a_slow']);
    expect(changes).toHaveLength(0);
  });

  it('reloads on a file change with --watch', async () => {
    const file = await pipelineFile({ upstreams: { a: named('a') } });
    const { run, ready } = await serve(['--config', file, '--watch']);
    const { client, changes } = await connect(ready.url as string);
    await run.waitLog((l) => l.msg === 'reloading on changes');
    await pipelineFile({ upstreams: { a: named('a'), b: named('b') } });
    await run.waitLog((l) => l.msg === 'reloaded');
    await until(() => changes.length > 0, 'list_changed');
    expect(await toolNames(client)).toEqual(['a_echo', 'a_slow', 'b_echo', 'b_slow']);
  });
});

describe('routes', () => {
  it('serves two routes on one port, each with its own tools; a reload adds one and takes one away', async () => {
    const file = await pipelineFile({
      serve: { http: { port: 0 } },
      routes: { '/one': { upstreams: { one: named('one') } }, '/two': { upstreams: { two: named('two') } } },
    });
    const { run, ready } = await serve(['--config', file]);
    const routes = ready.routes as Record<string, string>;
    expect(new URL(routes['/one']!).port).toBe(new URL(routes['/two']!).port);
    const one = await connect(routes['/one']!);
    const two = await connect(routes['/two']!);
    expect(await toolNames(one.client)).toEqual(['one_echo', 'one_slow']);
    expect(await toolNames(two.client)).toEqual(['two_echo', 'two_slow']);
    expect((await fetch(new URL('/nowhere', routes['/one']), { method: 'POST' })).status).toBe(404);

    await pipelineFile({
      serve: { http: { port: 0 } },
      routes: { '/one': { upstreams: { one: named('one') } }, '/three': { upstreams: { three: named('three') } } },
    });
    run.child.kill('SIGHUP');
    const reloaded = await run.waitLog((l) => l.msg === 'reloaded');
    expect(reloaded).toMatchObject({ routesAdded: ['/three'], routesRemoved: ['/two'], changed: {} });
    const three = await connect(new URL('/three', routes['/one']).href);
    expect(await toolNames(three.client)).toEqual(['three_echo', 'three_slow']);
    expect(await toolNames(one.client)).toEqual(['one_echo', 'one_slow']);
    expect(one.changes).toHaveLength(0);
    await run.waitLog((l) => l.msg === 'route removed' && l.route === '/two');
    expect((await fetch(routes['/two']!, { method: 'POST' })).status).toBe(404);
  });
});

describe('discovery', () => {
  it('makes upstreams of a registry server.json folder, a package.json folder and a *.mcp.json file, and picks up a new entry on reload', async () => {
    fixture = await startFixtureHttpServer({ port: 0 });
    const servers = join(await folder(), 'servers');
    await mkdir(join(servers, 'registry'), { recursive: true });
    await writeFile(
      join(servers, 'registry', 'server.json'),
      JSON.stringify({ name: 'io.example/fixture', version: '1.0.0', remotes: [{ type: 'streamable-http', url: fixture.url }] }),
    );
    await mkdir(join(servers, 'pkg'));
    await writeFile(join(servers, 'pkg', 'package.json'), JSON.stringify({ name: '@example/pkg', bin: { pkg: 'start.mjs' } }));
    await writeFile(join(servers, 'pkg', 'start.mjs'), `process.argv.splice(2, 0, 'pkg');\nawait import(${JSON.stringify(NAMED)});\n`);
    await writeFile(join(servers, 'solo.mcp.json'), JSON.stringify({ mcpServers: { solo: named('solo') } }));
    await writeFile(join(servers, 'README.md'), 'not a server');

    const { run, ready } = await serve(['--discover', servers]);
    const found = await run.waitLog((l) => String(l.msg).startsWith('discovered'));
    expect(found.found).toEqual(['pkg', 'registry', 'solo']);
    const { client, changes } = await connect(ready.url as string);
    const tools = await toolNames(client);
    expect(tools).toEqual(expect.arrayContaining(['pkg_echo', 'solo_echo', 'test_simple_text']));
    expect(textOf(await client.callTool({ name: 'pkg_echo', arguments: { text: 'hi' } }))).toMatch(/^pkg\(\d+\): hi$/);

    await writeFile(join(servers, 'late.mcp.json'), JSON.stringify({ mcpServers: { late: named('late') } }));
    run.child.kill('SIGHUP');
    await run.waitLog((l) => l.msg === 'reloaded');
    await until(() => changes.length > 0, 'list_changed');
    expect(await toolNames(client)).toContain('late_echo');
  });

  it('serves each discovered server on a route of its own with --discover-as routes', async () => {
    const servers = join(await folder(), 'servers');
    await mkdir(servers);
    await writeFile(join(servers, 'x.mcp.json'), JSON.stringify({ mcpServers: { x: named('x') } }));
    await writeFile(join(servers, 'y.mcp.json'), JSON.stringify({ mcpServers: { y: named('y') } }));
    const { ready } = await serve(['--discover', servers, '--discover-as', 'routes']);
    const routes = ready.routes as Record<string, string>;
    expect(Object.keys(routes).sort()).toEqual(['/x', '/y']);
    expect(await toolNames((await connect(routes['/y']!)).client)).toEqual(['y_echo', 'y_slow']);
  });
});

describe('startup', () => {
  it('refuses a command that is not on the PATH, naming it, with exit 2 and before "ready"', async () => {
    const file = await pipelineFile({ upstreams: { fine: named('fine'), broken: { command: 'mcproxy-no-such-command', args: [] } } });
    const run = runCli(['--config', file, '--port', '0']);
    runs.push(run);
    expect((await run.exited).code).toBe(2);
    const text = run.stderr.join('\n');
    expect(text).toContain('at upstreams.broken: the command "mcproxy-no-such-command" was not found on the PATH');
    expect(text).not.toContain('proxy ready');
  });

  it('warns about a URL upstream that is down, and refuses to start when it is required', async () => {
    const down = 'http://127.0.0.1:9/mcp';
    const { run } = await serve(['--config', await pipelineFile({ upstreams: { far: { url: down } } })]);
    const warned = await run.waitLog((l) => l.state === 'unreachable');
    expect(warned).toMatchObject({ upstream: 'far', level: 40 });
    const required = runCli(['--config', await pipelineFile({ upstreams: { far: { url: down, required: true } } }, 'required.json'), '--port', '0']);
    runs.push(required);
    expect((await required.exited).code).toBe(1);
    expect(required.stderr.join('\n')).toContain('upstream "far" (http://127.0.0.1:9) is required and cannot be reached');
  });

  it('takes a desktop host config as it is: extra keys accepted, disabled servers left out, the rest logged at debug', async () => {
    const file = await pipelineFile({
      globalShortcut: 'Ctrl+Space',
      preferences: { theme: 'dark' },
      mcpServers: {
        on: { ...named('on'), autoApprove: ['on_echo'], alwaysAllow: ['on_slow'], timeout: 60, disabled: false },
        off: { command: 'mcproxy-no-such-command', disabled: true },
      },
    });
    const { run, ready } = await serve(['--config', file, '--log-level', 'debug']);
    const { client } = await connect(ready.url as string);
    expect(await toolNames(client)).toEqual(['on_echo', 'on_slow']);
    const ignored = await run.waitLog((l) => Array.isArray(l.ignored));
    expect(ignored.ignored).toEqual(
      expect.arrayContaining([
        'globalShortcut',
        'preferences',
        'mcpServers.on.autoApprove',
        'mcpServers.on.alwaysAllow',
        'mcpServers.on.timeout',
        'mcpServers.off (disabled)',
      ]),
    );
  });
});
