import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startFixtureHttpServer, type FixtureHttpServer } from '@mcproxy/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, FIXTURE, runCli, type CliRun, stopRuns } from './kit/cli-process.js';

// The command-line forms people bring from FastMCP's proxy, and the messages a
// person reads when something is wrong: each run as the built program.
const runs: CliRun[] = [];
const clients: Client[] = [];
let fixture: FixtureHttpServer | undefined;
let blocker: Server | undefined;
let dir: string | undefined;

afterEach(async () => {
  await stopRuns(runs, clients);
  await fixture?.close();
  fixture = undefined;
  await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)));
  blocker = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

function start(args: string[]): CliRun {
  const run = runCli(args);
  runs.push(run);
  return run;
}

async function connect(transport: StdioClientTransport | StreamableHTTPClientTransport | SSEClientTransport): Promise<Client> {
  const client = new Client({ name: 'cli-forms', version: '1' });
  clients.push(client);
  await client.connect(transport);
  return client;
}

const ESC = '\u001b';

describe('FastMCP-compatible forms', () => {
  it('mcproxy <url> serves the server at that URL on stdio', async () => {
    fixture = await startFixtureHttpServer({ port: 0 });
    const client = await connect(new StdioClientTransport({ command: process.execPath, args: [BIN, fixture.url, '--log-level', 'warn'], stderr: 'pipe' }));
    const result = await client.callTool({ name: 'test_simple_text', arguments: {} });
    expect(result.content).toEqual([expect.objectContaining({ type: 'text' })]);
    expect(fixture.sessionCount()).toBe(1);
  });

  it('--transport http --port 0 <url> serves it over streamable HTTP, and --name names the upstream', async () => {
    fixture = await startFixtureHttpServer({ port: 0 });
    const run = start(['--transport', 'http', '--port', '0', '--name', 'weather', fixture.url]);
    const ready = await run.waitLog((l) => l.msg === 'proxy ready');
    expect(ready.upstreams).toEqual(['weather']);
    const client = await connect(new StreamableHTTPClientTransport(new URL(ready.url as string)));
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('test_simple_text');
  });

  it('--transport sse serves the legacy SSE face, and --transport-type sse makes a second proxy speak SSE to it', async () => {
    fixture = await startFixtureHttpServer({ port: 0 });
    const first = start(['--transport', 'sse', '--port', '0', fixture.url]);
    const ready = await first.waitLog((l) => l.msg === 'proxy ready');
    const sseUrl = ready.sse as string;
    expect(new URL(sseUrl).pathname).toBe('/sse');
    const direct = await connect(new SSEClientTransport(new URL(sseUrl)));
    expect((await direct.callTool({ name: 'test_simple_text', arguments: {} })).isError).toBeFalsy();
    // The forced transport is used as is: no streamable HTTP attempt first.
    const second = await connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [BIN, '--transport-type', 'sse', sseUrl, '--log-level', 'debug'],
        stderr: 'pipe',
      }),
    );
    expect((await second.callTool({ name: 'test_simple_text', arguments: {} })).isError).toBeFalsy();
    // Forced the other way, the proxy does not fall back: the SSE face cannot answer streamable HTTP.
    const wrong = new Client({ name: 'cli-forms', version: '1' });
    clients.push(wrong);
    await expect(
      wrong.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: [BIN, '--transport-type', 'http', sseUrl, '--log-level', 'silent'],
          stderr: 'pipe',
        }),
      ),
    ).rejects.toThrow();
  });

  it('names a scoped package after the package, not its entry file, and keeps --port N -- command working', async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcproxy-forms-'));
    const entry = join(dir, 'node_modules', '@scope', 'server-foo', 'dist');
    await mkdir(entry, { recursive: true });
    await writeFile(join(entry, 'index.js'), `process.argv.push('--stdio');\nawait import(${JSON.stringify(new URL(`file://${FIXTURE}`).href)});\n`);
    const run = start(['--port', '0', '--', process.execPath, join(entry, 'index.js')]);
    const ready = await run.waitLog((l) => l.msg === 'proxy ready');
    expect(ready.upstreams).toEqual(['server-foo']);
    const client = await connect(new StreamableHTTPClientTransport(new URL(ready.url as string)));
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
  });
});

describe('messages and logs for people', () => {
  it('a busy port: exit 1, one plain sentence naming --port and port: 0, no JSON and no stack', async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const run = start(['--example', '--port', String(port)]);
    expect((await run.exited).code).toBe(1);
    const text = run.stderr.join('\n');
    expect(text).toContain(`mcproxy: could not start: 127.0.0.1:${port} is already in use`);
    expect(text).toMatch(/--port/);
    expect(text).toMatch(/port: 0/);
    expect(text).not.toMatch(/^\{/m);
    expect(text).not.toMatch(/^\s+at /m);
  });

  it('an unknown middleware lists the built-ins and no path inside mcproxy', async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcproxy-forms-'));
    const file = join(dir, 'p.yaml');
    await writeFile(file, `upstreams:\n  a: { command: "${process.execPath}", args: ["${FIXTURE}", "--stdio"] }\npipeline:\n  - use: logginx\n`);
    const run = start(['--config', file]);
    expect((await run.exited).code).toBe(2);
    const text = run.stderr.join('\n');
    expect(text).toContain('unknown middleware "logginx"');
    expect(text).toContain('logging, filter, rename, aggregate');
    expect(text).not.toMatch(/dist\/|node_modules|apps\/cli/);
  });

  it('a store that cannot be reached at start stops mcproxy with exit 2, naming the store and never its password', async () => {
    const free = () =>
      new Promise<number>((resolve) => {
        const probe = createServer();
        probe.listen(0, '127.0.0.1', () => {
          const port = (probe.address() as AddressInfo).port;
          probe.close(() => resolve(port));
        });
      });
    const closed = await free();
    const run = start([
      '--store',
      `redis://admin:hunter2-secret@127.0.0.1:${closed}/0`,
      '--port',
      String(await free()),
      '--',
      process.execPath,
      FIXTURE,
      '--stdio',
    ]);
    const exited = await run.exited;
    const text = run.stderr.join('\n');
    expect(exited.code, text).toBe(2);
    expect(text).toContain(`127.0.0.1:${closed}`);
    expect(text).toContain('cannot be reached');
    expect(text).not.toContain('hunter2-secret');
  });

  it('a --store that is not a redis URL is refused before anything starts', async () => {
    const run = start(['--store', 'http://127.0.0.1:6379', '--port', '0', '--', process.execPath, FIXTURE, '--stdio']);
    expect((await run.exited).code).toBe(2);
    expect(run.stderr.join('\n')).toContain('--store must be a redis:// or rediss:// URL');
  });

  it('--stdio not-a-url names the flag and the value, not a pipeline file', async () => {
    const run = start(['--stdio', 'not-a-url']);
    expect((await run.exited).code).toBe(2);
    const text = run.stderr.join('\n');
    expect(text).toContain('--stdio must be an http:// or https:// URL; got "not-a-url"');
    expect(text).not.toContain('pipeline file');
  });

  it('prints where to connect even at --log-level warn; JSON when piped, pretty with --log-format pretty, both without colour', async () => {
    const warn = start(['--example', '--port', '0', '--log-level', 'warn']);
    const ready = await warn.waitLog((l) => l.msg === 'proxy ready');
    expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(warn.logs.filter((l) => l.msg !== 'proxy ready' && (l.level as number) < 40)).toEqual([]);

    const pretty = start(['--example', '--port', '0', '--log-format', 'pretty']);
    await expect.poll(() => pretty.stderr.join('\n'), { timeout: 15_000 }).toMatch(/INFO.*proxy ready.*"url":"http:\/\/127\.0\.0\.1:\d+\/mcp"/);
    expect(pretty.logs).toEqual([]);
    expect(pretty.stderr.join('\n')).not.toContain(ESC);
    expect(pretty.stdout).toEqual([]);
  });
});
