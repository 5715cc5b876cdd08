// tool-search over 1,000 tools, as a person runs it: the catalog fixture (20
// services × 50 tools over streamable HTTP, one process) behind mcproxy with
// tool-search → filter → aggregate, driven by a real client of each era.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, stopRuns, type CliRun } from '../kit/cli-process.js';

const CATALOG_SERVER = fileURLToPath(new URL('../../../../packages/mw-tool-search/test/catalog-server.mjs', import.meta.url));
const SERVICES = 'github jira slack email calendar drive postgres stripe weather maps kubernetes aws notion crm shop analytics music travel hr support'.split(
  ' ',
);

const runs: CliRun[] = [];
const clients: Array<{ close(): Promise<unknown> }> = [];
let server: ChildProcess | undefined;
let dir: string | undefined;

afterEach(async () => {
  await stopRuns(runs, clients, 'SIGTERM');
  if (server !== undefined && server.exitCode === null && server.signalCode === null) {
    server.kill('SIGTERM');
    await once(server, 'exit');
  }
  server = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Starts the catalog fixture and mcproxy in front of it; resolves to mcproxy's URL. */
async function proxy(): Promise<string> {
  server = spawn(process.execPath, [CATALOG_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: server.stdout! }), 'line')) as [string];
  const base = (JSON.parse(line) as { url: string }).url;
  dir = await mkdtemp(join(tmpdir(), 'mcproxy-tool-search-'));
  const file = join(dir, 'pipeline.yaml');
  const upstreams = SERVICES.map((s) => `  ${s}: { url: "${base}/${s}" }`).join('\n');
  await writeFile(
    file,
    `serve: { http: { port: 0 } }
upstreams:
${upstreams}
pipeline:
  - use: tool-search
    with: { pinned: [github__create_issue, get_forecast] }
  - use: filter
    with: { tools: { deny: ["*delete_*"] } }
  - use: aggregate
`,
  );
  const run = runCli(['--config', file]);
  runs.push(run);
  return (await run.waitLog((l) => l.msg === 'listening' && typeof l.url === 'string')).url as string;
}

interface Caller {
  listTools(): Promise<{ tools: Array<{ name: string }> }>;
  callTool(p: { name: string; arguments?: Record<string, unknown> }): Promise<unknown>;
}

type Result = { content?: Array<{ text?: string }>; structuredContent?: Record<string, unknown>; isError?: boolean };
const call = async (c: Caller, name: string, args: Record<string, unknown>): Promise<Result> => (await c.callTool({ name, arguments: args })) as Result;
const found = (r: Result): string[] => ((r.structuredContent?.results ?? []) as Array<{ name: string }>).map((x) => x.name);

/** Everything the issue asks of tool-search, through one client. */
async function exercise(c: Caller): Promise<void> {
  expect((await c.listTools()).tools.map((t) => t.name)).toEqual(['search_tools', 'describe_tool', 'call_tool', 'github__create_issue', 'get_forecast']);

  const search = await call(c, 'search_tools', { query: 'open a bug report on github', limit: 3 });
  expect(found(search)[0]).toBe('github__create_issue');
  // All 1,000 tools were listed through aggregate, less the 200 the filter hides.
  expect(search.structuredContent?.of).toBe(800);

  const described = await call(c, 'describe_tool', { name: 'jira__create_issue' });
  expect(described.structuredContent).toMatchObject({ name: 'jira__create_issue', inputSchema: { properties: { project: {}, summary: {}, type: {} } } });

  const called = await call(c, 'call_tool', { name: 'jira__create_issue', arguments: { project: 'OPS', summary: 'disk full' } });
  expect(called.content).toEqual([{ type: 'text', text: 'jira:create_issue {"project":"OPS","summary":"disk full"}' }]);

  // Pinned tools are listed, and called as any tool is.
  expect((await call(c, 'get_forecast', { city: 'Paris' })).content).toEqual([{ type: 'text', text: 'weather:get_forecast {"city":"Paris"}' }]);

  // What the filter hides is neither found, described nor called, through tool-search or around it.
  expect(found(await call(c, 'search_tools', { query: 'delete github issue', limit: 20 })).filter((n) => n.includes('delete'))).toEqual([]);
  expect((await call(c, 'describe_tool', { name: 'github__delete_issue' })).isError).toBe(true);
  const refused = await call(c, 'call_tool', { name: 'github__delete_issue', arguments: {} });
  expect(refused).toMatchObject({ isError: true, content: [{ text: 'Tool github__delete_issue not found. Find tools with search_tools.' }] });
  await expect(c.callTool({ name: 'github__delete_issue', arguments: {} })).rejects.toThrow(/not found/);
}

// Twenty upstream sessions per client and 1,000 tools listed through aggregate: more work than most tests, so more time on a busy machine.
describe('tool-search through mcproxy, over 20 upstreams × 50 tools', { timeout: 60_000 }, () => {
  it('searches, describes, calls, lists pinned tools and refuses filtered ones for a 2025-11-25 client', async () => {
    const client = new Client({ name: 'tool-search-e2e', version: '1' });
    clients.push(client);
    await client.connect(new StreamableHTTPClientTransport(new URL(await proxy())));
    await exercise(client);
  });

  it('does the same for a 2026-07-28 client', async () => {
    const client = new ModernClient({ name: 'tool-search-e2e', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    clients.push(client);
    await client.connect(new ModernTransport(new URL(await proxy())));
    expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    await exercise(client);
  });
});
