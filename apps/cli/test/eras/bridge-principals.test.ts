import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyHttpTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { createRootsCacheServer, startFixtureHttpServer, type FixtureHttpServer } from '@mcproxy/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURE, runCli, type CliRun, stopRuns } from '../kit/cli-process.js';
import { EVERYTHING } from '../kit/npm-servers.js';

// Two principals in front of one 2025-era server: whatever it keeps per
// session (here the roots it asked for, which server-everything caches)
// must never pass from one to the other, in either era, over stdio or HTTP.

const ALICE = 'alice-key-0123456789abcdef';
const BOB = 'bob-key-0123456789abcdefgh';
const ROOT: Record<string, string> = { [ALICE]: 'file:///home/alice/rootA', [BOB]: 'file:///home/bob/rootB' };

const runs: CliRun[] = [];
const clients: Array<{ close(): Promise<unknown> }> = [];
const servers: FixtureHttpServer[] = [];
let dir: string | undefined;
afterEach(async () => {
  await stopRuns(runs, clients, 'SIGTERM');
  runs.length = 0;
  clients.length = 0;
  for (const up of servers.splice(0)) await up.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function serve(upstream: string, extra = ''): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), 'mcproxy-principals-'));
  const file = join(dir, 'pipeline.yaml');
  await writeFile(
    file,
    `serve: { http: { port: 0 } }
upstreams:
  everything: ${upstream}
auth:
  apiKeys:
    - { id: alice, key: "\${ALICE}" }
    - { id: bob, key: "\${BOB}" }
${extra}`,
  );
  const run = runCli(['--config', file], { env: { ALICE, BOB } });
  runs.push(run);
  const line = await run.waitLog((l) => l.msg === 'listening' && typeof l.url === 'string');
  return line.url as string;
}

const textOf = (result: object): string => (((result as { content?: unknown }).content as Array<{ text?: string }>) ?? []).map((c) => c.text ?? '').join('\n');

/** A 2025-11-25 client (SDK 1.x) with `key`, whose roots are its principal's. */
async function legacyRoots(url: string, key: string, tool = 'get-roots-list'): Promise<string> {
  const client = new LegacyClient({ name: 'legacy', version: '1' }, { capabilities: { roots: {} } });
  clients.push(client);
  client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: ROOT[key]!, name: 'home' }] }));
  await client.connect(new LegacyHttpTransport(new URL(url), { requestInit: { headers: { 'x-api-key': key } } }));
  return textOf(await client.callTool({ name: tool, arguments: {} }));
}

/** A 2026-07-28 client (v2 SDK) with `key`, whose roots are its principal's. */
async function modernRoots(url: string, key: string, tool = 'get-roots-list'): Promise<string> {
  const client = new Client({ name: 'modern', version: '1' }, { capabilities: { roots: {} }, versionNegotiation: { mode: { pin: '2026-07-28' } } });
  clients.push(client);
  client.setRequestHandler('roots/list', async () => ({ roots: [{ uri: ROOT[key]!, name: 'home' }] }));
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { 'x-api-key': key } } }));
  return textOf(await client.callTool({ name: tool, arguments: {} }));
}

const STDIO = `{ command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(EVERYTHING)}, stdio] }`;

describe('two principals in front of one 2025-era server, real processes', () => {
  it('over stdio (server-everything): each principal sees only its own roots, as a 2025-era client and as a 2026-07-28 client', {
    timeout: 60_000,
  }, async () => {
    const url = await serve(STDIO);
    const [a, b] = [await legacyRoots(url, ALICE), await legacyRoots(url, BOB)];
    expect(a).toContain(ROOT[ALICE]);
    expect(a).not.toContain(ROOT[BOB]);
    expect(b).toContain(ROOT[BOB]);
    expect(b).not.toContain(ROOT[ALICE]);
    const [ma, mb] = [await modernRoots(url, ALICE), await modernRoots(url, BOB)];
    expect(ma).toContain(ROOT[ALICE]);
    expect(ma).not.toContain(ROOT[BOB]);
    expect(mb).toContain(ROOT[BOB]);
    expect(mb).not.toContain(ROOT[ALICE]);
  });

  it('over HTTP: each principal sees only its own roots through the bridge, and as a 2025-era client', { timeout: 60_000 }, async () => {
    // server-everything over HTTP asks for roots on its standalone stream right after
    // `initialized`, racing the client's GET for that stream, and its tool can then wait
    // for good (1 call in 12 hung with an SDK client connected to it directly, no proxy).
    // So over HTTP the 2025-era server is an SDK 1.x one with the same habit that
    // matters here: per upstream session, it asks for roots once, during a call, and
    // keeps them.
    const up = await startFixtureHttpServer({ createServer: createRootsCacheServer });
    servers.push(up);
    const url = await serve(`{ url: ${up.url} }`);
    const [ma, mb] = [await modernRoots(url, ALICE, 'my_roots'), await modernRoots(url, BOB, 'my_roots')];
    expect(ma).toBe(ROOT[ALICE]);
    expect(mb).toBe(ROOT[BOB]);
    const [a, b] = [await legacyRoots(url, ALICE, 'my_roots'), await legacyRoots(url, BOB, 'my_roots')];
    expect(a).toBe(ROOT[ALICE]);
    expect(b).toBe(ROOT[BOB]);
  });
});

describe('concurrent 2026-07-28 clients through one 2025-era stdio server, real processes', () => {
  it('16 clients each answer their own elicitation, all at once, and all complete', { timeout: 60_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcproxy-concurrent-'));
    const run = runCli(['--port', '0', '--', process.execPath, FIXTURE, '--stdio']);
    runs.push(run);
    const url = (await run.waitLog((l) => l.msg === 'listening' && typeof l.url === 'string')).url as string;
    const names = Array.from({ length: 16 }, (_, i) => `user${i}`);
    const results = await Promise.all(
      names.map(async (name) => {
        const client = new Client({ name, version: '1' }, { capabilities: { elicitation: {} }, versionNegotiation: { mode: { pin: '2026-07-28' } } });
        clients.push(client);
        client.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { username: name, email: `${name}@example.test` } }));
        await client.connect(new StreamableHTTPClientTransport(new URL(url)));
        return textOf(await client.callTool({ name: 'test_elicitation', arguments: { message: 'Who are you?' } }));
      }),
    );
    expect(results).toEqual(names.map((n) => `User response: action=accept, content={"username":"${n}","email":"${n}@example.test"}`));
  });

  it('a 2025-era client through the same kind of server still gets its elicitation (the legacy path is untouched)', async () => {
    const run = runCli(['--port', '0', '--', process.execPath, FIXTURE, '--stdio']);
    runs.push(run);
    const url = (await run.waitLog((l) => l.msg === 'listening' && typeof l.url === 'string')).url as string;
    const client = new LegacyClient({ name: 'legacy', version: '1' }, { capabilities: { elicitation: {} } });
    clients.push(client);
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { username: 'ada', email: 'ada@example.test' } }));
    await client.connect(new LegacyHttpTransport(new URL(url)));
    expect(textOf(await client.callTool({ name: 'test_elicitation', arguments: { message: 'Who are you?' } }))).toContain('"username":"ada"');
  });
});
