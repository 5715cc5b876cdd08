// A real 2026-07-28 client (the v2 SDK) through mcproxy to a real 2026-07-28 server
// (the modern fixture, also on the v2 SDK), over each face, pinned and negotiating.
import { fileURLToPath } from 'node:url';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { eventually, startModernFixtureHttpServer, type ModernFixtureHttpServer } from '@mcproxy/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, FIXTURE, runCli, type CliRun, stopRuns } from '../kit/cli-process.js';

const MODERN_FIXTURE = fileURLToPath(new URL('../../../../packages/testing/dist/modern-fixture-server.js', import.meta.url));
const V = '2026-07-28';

const runs: CliRun[] = [];
const clients: Client[] = [];
let fixture: ModernFixtureHttpServer | undefined;
let dir: string | undefined;

afterEach(async () => {
  await stopRuns(runs, clients, 'SIGTERM');
  await fixture?.close();
  fixture = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function pipelineFile(text: string): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), 'mcproxy-modern-'));
  const file = join(dir, 'pipeline.yaml');
  await writeFile(file, text);
  return file;
}

async function serve(args: string[]): Promise<string> {
  const run = runCli(args);
  runs.push(run);
  const line = await run.waitLog((l) => l.msg === 'listening' && typeof l.url === 'string');
  return line.url as string;
}

type Mode = 'auto' | { pin: string };

async function connectHttp(url: string, mode: Mode): Promise<Client> {
  const client = new Client({ name: 'modern-e2e', version: '1' }, { versionNegotiation: { mode } });
  clients.push(client);
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

/**
 * Lists, calls a plain tool and (unless `progress` is false) one with progress; what every route must carry.
 * Over stdio the v2 SDK client hands progress to its callback after the call's answer under load, and then
 * not at all (the proxy's stdout has all three ahead of the answer: see the raw test below), so there the
 * order is checked on the wire instead.
 */
async function exercise(client: Client, progress = true): Promise<void> {
  const tools = await client.listTools();
  expect(tools.tools.map((t) => t.name)).toContain('test_simple_text');
  const called = await client.callTool({ name: 'test_simple_text', arguments: {} });
  expect(called.content).toEqual([{ type: 'text', text: 'This is a simple text response for testing.' }]);
  if (!progress) return;
  const seen: number[] = [];
  await client.callTool({ name: 'test_tool_with_progress', arguments: {} }, { onprogress: (p) => seen.push(p.progress) });
  expect(seen.length).toBeGreaterThanOrEqual(3);
}

describe('a 2026-07-28 client through mcproxy', () => {
  it('pinned to 2026-07-28, over HTTP, reaches a modern server behind a URL upstream', async () => {
    fixture = await startModernFixtureHttpServer();
    const file = await pipelineFile(`serve: { http: { port: 0 } }\nupstreams:\n  modern: { url: "${fixture.url}" }\n`);
    const client = await connectHttp(await serve(['--config', file]), { pin: V });
    expect(client.getNegotiatedProtocolVersion()).toBe(V);
    await exercise(client);
  });

  it('in auto mode negotiates 2026-07-28 when the server behind speaks it (stdio upstream)', async () => {
    const client = await connectHttp(await serve(['--port', '0', '--', process.execPath, MODERN_FIXTURE, '--stdio']), 'auto');
    expect(client.getNegotiatedProtocolVersion()).toBe(V);
    await exercise(client);
  });

  it('in auto mode negotiates 2026-07-28 even when the server behind speaks only 2025-11-25: the proxy bridges the eras', async () => {
    const client = await connectHttp(await serve(['--port', '0', '--', process.execPath, FIXTURE, '--stdio']), 'auto');
    expect(client.getNegotiatedProtocolVersion()).toBe(V);
    await exercise(client);
  });

  it('pinned to 2026-07-28, over the stdio face, through a chain of two proxies', async () => {
    const inner = await serve(['--port', '0', '--', process.execPath, MODERN_FIXTURE, '--stdio']);
    const file = await pipelineFile(`serve: { stdio: true }\nupstreams:\n  inner: { url: "${inner}", protocol: "${V}" }\n`);
    const client = new Client({ name: 'modern-e2e', version: '1' }, { versionNegotiation: { mode: { pin: V } } });
    clients.push(client);
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [BIN, '--config', file], stderr: 'ignore' }));
    expect(client.getNegotiatedProtocolVersion()).toBe(V);
    await exercise(client, false);
  });

  it('over the stdio face, through a chain of two proxies, writes every progress notification ahead of the answer', async () => {
    const inner = await serve(['--port', '0', '--', process.execPath, MODERN_FIXTURE, '--stdio']);
    const file = await pipelineFile(`serve: { stdio: true }\nupstreams:\n  inner: { url: "${inner}", protocol: "${V}" }\n`);
    const run = runCli(['--config', file], { stdin: 'pipe' });
    runs.push(run);
    const meta = { 'io.modelcontextprotocol/protocolVersion': V, 'io.modelcontextprotocol/clientCapabilities': {}, progressToken: 'p' };
    run.child.stdin!.write(
      `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'test_tool_with_progress', arguments: {}, _meta: meta } })}\n`,
    );
    expect(await eventually(() => run.stdout.some((line) => line.includes('"id":1')), 15_000)).toBe(true);
    const kinds = run.stdout.map((line) => (JSON.parse(line) as { method?: string }).method ?? 'answer');
    expect(kinds).toEqual(['notifications/progress', 'notifications/progress', 'notifications/progress', 'answer']);
  });
});
