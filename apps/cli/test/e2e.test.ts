import { fileURLToPath } from 'node:url';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startFixtureHttpServer, type FixtureHttpServer } from '@mcproxy/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, FIXTURE, gone, runCli, type CliRun, stopRuns } from './kit/cli-process.js';

const runs: CliRun[] = [];
const clients: Client[] = [];
let fixture: FixtureHttpServer | undefined;
let dir: string | undefined;

afterEach(async () => {
  await stopRuns(runs, clients);
  await fixture?.close();
  fixture = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function serve(args: string[]): Promise<{ run: CliRun; url: string }> {
  const run = runCli(['--port', '0', ...args]);
  runs.push(run);
  const line = await run.waitLog((l) => l.msg === 'listening' && typeof l.url === 'string');
  return { run, url: line.url as string };
}

async function httpClient(url: string): Promise<Client> {
  const client = new Client({ name: 'e2e', version: '1' });
  clients.push(client);
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

describe('mcproxy, run as a program', () => {
  it('serves a stdio server over streamable HTTP, and reaps the child on SIGTERM', async () => {
    const { run, url } = await serve(['--', process.execPath, FIXTURE, '--stdio']);
    const client = await httpClient(url);
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toContain('test_simple_text');
    const progress: number[] = [];
    const called = await client.callTool({ name: 'test_tool_with_progress', arguments: {} }, undefined, { onprogress: (p) => progress.push(p.progress) });
    expect(called.isError).toBeFalsy();
    expect(progress.length).toBeGreaterThanOrEqual(3);
    const read = await client.readResource({ uri: 'test://static-text' });
    expect(read.contents[0]).toMatchObject({ uri: 'test://static-text' });
    const prompt = await client.getPrompt({ name: 'test_simple_prompt' });
    expect(prompt.messages.length).toBeGreaterThan(0);

    const spawned = await run.waitLog((l) => l.upstream !== undefined && typeof l.childPid === 'number');
    const childPid = spawned.childPid as number;
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);
    expect(await gone(childPid)).toBe(true);
  });

  it('serves a remote HTTP server on stdio for a desktop host', async () => {
    fixture = await startFixtureHttpServer({ port: 0 });
    const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, '--stdio', fixture.url, '--log-level', 'warn'], stderr: 'pipe' });
    const client = new Client({ name: 'desktop', version: '1' });
    clients.push(client);
    await client.connect(transport);
    const result = await client.callTool({ name: 'test_simple_text', arguments: {} });
    expect(result.content).toEqual([expect.objectContaining({ type: 'text' })]);
    expect(fixture.sessionCount()).toBe(1);
  });

  it('runs the built-in example', async () => {
    const { url } = await serve(['--example']);
    const client = await httpClient(url);
    const sum = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
    expect(sum.structuredContent).toEqual({ sum: 5 });
  });

  it('loads a middleware module named in a pipeline file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcproxy-e2e-'));
    await writeFile(
      join(dir, 'deny.mjs'),
      `
export default function create(options) {
  if (!Array.isArray(options.tools)) throw new Error('options.tools must be a list');
  return async function deny(ctx, next) {
    if (ctx.kind === 'request' && ctx.message.method === 'tools/call' && options.tools.includes(ctx.message.params?.name)) {
      return { error: { code: -32602, message: 'Unknown tool: ' + ctx.message.params.name } };
    }
    return next();
  };
}
`,
    );
    const file = join(dir, 'pipeline.yaml');
    await writeFile(
      file,
      `
serve: { http: { port: 0 } }
upstreams:
  fixture: { command: "${process.execPath}", args: ["${FIXTURE}", "--stdio"] }
pipeline:
  - use: ./deny.mjs
    with: { tools: [test_simple_text] }
`,
    );
    const { url } = await serve(['--config', file]);
    const client = await httpClient(url);
    await expect(client.callTool({ name: 'test_simple_text', arguments: {} })).rejects.toThrow(/Unknown tool: test_simple_text/);
    const other = await client.callTool({ name: 'test_image_content', arguments: {} });
    expect(other.isError).toBeFalsy();
  });
});

describe('mcproxy refuses bad input clearly', () => {
  it('exits 2 at startup when two upstreams share a name and aggregate may not prefix it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcproxy-e2e-'));
    const example = fileURLToPath(new URL('../dist/example/main.js', import.meta.url));
    const file = join(dir, 'never.yaml');
    await writeFile(
      file,
      `
serve: { http: { port: 0 } }
upstreams:
  one: { command: "${process.execPath}", args: ["${example}"] }
  two: { command: "${process.execPath}", args: ["${example}"] }
pipeline:
  - use: aggregate
    with: { prefix: never }
`,
    );
    const run = runCli(['--config', file]);
    runs.push(run);
    expect((await run.exited).code).toBe(2);
    expect(run.stderr.join('\n')).toMatch(/pipeline: aggregate: tool "echo" is offered by both "one" and "two"; with prefix: never/);
  });

  it('exits 2 naming the file, the path and what was expected', async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcproxy-e2e-'));
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'serve: { http: { port: "eighty" } }\nupstreams:\n  a: { command: x }\n');
    const run = runCli(['--config', file]);
    runs.push(run);
    expect((await run.exited).code).toBe(2);
    expect(run.stderr.join('\n')).toContain(`invalid pipeline file ${file}:\n  at serve.http.port: Invalid input: expected number, received string`);
  });

  it('exits 2 naming an unset environment variable', async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcproxy-e2e-'));
    const file = join(dir, 'env.yaml');
    await writeFile(file, 'upstreams:\n  r: { url: "http://127.0.0.1:9/mcp", headers: { Authorization: "Bearer ${MCPROXY_E2E_UNSET}" } }\n');
    const run = runCli(['--config', file], { env: { MCPROXY_E2E_UNSET: undefined } });
    runs.push(run);
    expect((await run.exited).code).toBe(2);
    expect(run.stderr.join('\n')).toContain('at upstreams.r.headers.Authorization: environment variable MCPROXY_E2E_UNSET is not set');
  });

  it('exits 1 when the port is taken, and 0 for --help and --version', async () => {
    const first = await serve(['--example']);
    const port = new URL(first.url).port;
    const second = runCli(['--example', '--port', port]);
    runs.push(second);
    expect((await second.exited).code).toBe(1);
    expect(second.stderr.join('\n')).toMatch(/EADDRINUSE|in use/);
    const help = runCli(['--help']);
    const version = runCli(['--version']);
    runs.push(help, version);
    expect((await help.exited).code).toBe(0);
    expect(help.stdout.join('\n')).toContain('mcproxy --config <pipeline.yaml>');
    expect((await version.exited).code).toBe(0);
    expect(version.stdout.join('\n')).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
