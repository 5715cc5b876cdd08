// Issue 3: real servers from npm behind one mcproxy, and a real client in front.
// The servers (@modelcontextprotocol/server-everything, server-memory and
// server-filesystem) run from their installed bins as stdio upstreams of the
// built CLI; the client is the MCP Inspector's command-line mode, each call a
// fresh `mcp-inspector --cli <url> --transport http --method …` process whose
// printed JSON is what the test checks.
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive } from '@mcproxy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gone } from '../kit/cli-process.js';
import {
  EVERYTHING,
  FILESYSTEM,
  MEMORY,
  inspector,
  inspectorJson,
  killInspectors,
  startProxy,
  stopProxy,
  toolNames,
  upstreamPids,
  type CallResult,
  type Proxy,
  type Tool,
} from '../kit/npm-servers.js';

const SLOW = { timeout: 60_000 };

/**
 * server-everything adds these once it knows its client can take sampling,
 * elicitation or roots requests. The Inspector CLI declares none of those, but
 * a shared stdio link declares sampling and elicitation for every session that
 * may come (docs/architecture.md, "Sessions and links"), so through the proxy
 * some of them may be listed and asked directly they are not.
 */
const EVERYTHING_FOR_CAPABLE_CLIENTS = new Set([
  'get-roots-list',
  'trigger-elicitation-request',
  'trigger-url-elicitation',
  'trigger-sampling-request',
  'simulate-research-query',
  'trigger-sampling-request-async',
  'trigger-elicitation-request-async',
]);

const NOTE = 'Hello from a file that only the filesystem server can read.\n';
const ARCHIVED = 'An older note, kept in the archive folder.\n';

let root = '';
const proxies: Proxy[] = [];
/** Each server's own tool names, asked directly over stdio by the same Inspector CLI. */
const direct = { everything: [] as string[], memory: [] as string[], files: [] as string[] };

const listTools = async (url: string): Promise<string[]> =>
  toolNames(await inspectorJson<{ tools: Tool[] }>([url, '--transport', 'http', '--method', 'tools/list']));

const callTool = (url: string, name: string, args: Record<string, string> = {}): Promise<CallResult> =>
  inspectorJson<CallResult>([
    url,
    '--transport',
    'http',
    '--method',
    'tools/call',
    '--tool-name',
    name,
    ...Object.entries(args).flatMap(([k, v]) => ['--tool-arg', `${k}=${v}`]),
  ]);

async function serve(upstreams: Parameters<typeof startProxy>[1], name: string): Promise<Proxy> {
  const dir = join(root, name);
  await mkdir(dir);
  const proxy = await startProxy(dir, upstreams);
  proxies.push(proxy);
  expect(new URL(proxy.url).hostname).toBe('127.0.0.1');
  return proxy;
}

async function stopsCleanly(proxy: Proxy, upstreams: string[]): Promise<void> {
  const pids = upstreamPids(proxy.run);
  expect([...pids.keys()].sort()).toEqual([...upstreams].sort());
  expect(await stopProxy(proxy.run)).toEqual({ code: 0, signal: null });
  for (const [upstream, pid] of pids) expect({ upstream, gone: await gone(pid) }).toEqual({ upstream, gone: true });
}

beforeAll(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'mcproxy-third-party-')));
  const scratch = join(root, 'direct');
  await mkdir(scratch);
  const list = async (target: string[], env?: NodeJS.ProcessEnv): Promise<string[]> =>
    toolNames(await inspectorJson<{ tools: Tool[] }>([process.execPath, ...target, '--method', 'tools/list'], { env }));
  [direct.everything, direct.memory, direct.files] = await Promise.all([
    list([EVERYTHING, 'stdio']),
    list([MEMORY], { MEMORY_FILE_PATH: join(scratch, 'memory.jsonl') }),
    list([FILESYSTEM, scratch]),
  ]);
}, 60_000);

afterAll(async () => {
  await killInspectors();
  for (const proxy of proxies.splice(0)) {
    const pids = upstreamPids(proxy.run);
    await stopProxy(proxy.run);
    // Only when a test failed half-way: a proxy killed outright leaves its children.
    for (const pid of pids.values()) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  if (root) await rm(root, { recursive: true, force: true });
}, 60_000);

describe('three servers from npm behind one mcproxy, used by the MCP Inspector CLI', () => {
  let proxy: Proxy;
  let filesDir = '';
  let memoryFile = '';

  beforeAll(async () => {
    filesDir = join(root, 'shared-folder');
    await mkdir(filesDir);
    await writeFile(join(filesDir, 'note.txt'), NOTE);
    memoryFile = join(root, 'memory.jsonl');
    proxy = await serve(
      {
        everything: { args: [EVERYTHING, 'stdio'] },
        memory: { args: [MEMORY], env: { MEMORY_FILE_PATH: memoryFile } },
        files: { args: [FILESYSTEM, filesDir] },
      },
      'three',
    );
  }, 60_000);

  it('asked directly, the three servers share no tool name', () => {
    expect(direct.everything).toEqual(expect.arrayContaining(['echo', 'get-sum']));
    expect(direct.memory).toEqual(expect.arrayContaining(['create_entities', 'read_graph']));
    expect(direct.files).toEqual(expect.arrayContaining(['read_text_file', 'list_directory']));
    const all = [...new Set(direct.everything), ...new Set(direct.memory), ...new Set(direct.files)];
    expect(all.filter((n, i) => all.indexOf(n) !== i)).toEqual([]);
  });

  it('lists the tools of all three in one list, each under its own name', SLOW, async () => {
    const merged = await listTools(proxy.url);
    expect(merged.filter((n, i) => merged.indexOf(n) !== i)).toEqual([]);
    expect(merged).toEqual(expect.arrayContaining(direct.everything));
    expect(merged).toEqual(expect.arrayContaining(direct.memory));
    expect(merged).toEqual(expect.arrayContaining(direct.files));
    // No name is shared, so none is prefixed.
    expect(merged.filter((n) => /^(everything|memory|files)__/.test(n))).toEqual([]);
    // Nothing else, but what server-everything offers to clients that can take its requests.
    const known = new Set([...direct.everything, ...direct.memory, ...direct.files]);
    expect(merged.filter((n) => !known.has(n) && !EVERYTHING_FOR_CAPABLE_CLIENTS.has(n))).toEqual([]);
  });

  it("calls one tool of each server and gets each server's real answer", SLOW, async () => {
    const message = 'hello through mcproxy, a=b & c';
    const echoed = await callTool(proxy.url, 'echo', { message });
    expect(echoed.isError).toBeFalsy();
    expect(echoed.content).toEqual([{ type: 'text', text: `Echo: ${message}` }]);

    const entity = { name: 'mcproxy-e2e', entityType: 'project', observations: ['reached through a proxy'] };
    const created = await callTool(proxy.url, 'create_entities', { entities: JSON.stringify([entity]) });
    expect(created.isError).toBeFalsy();
    expect(created.structuredContent).toEqual({ entities: [entity] });
    // Another Inspector run is another session; the memory server is one shared child.
    const graph = await callTool(proxy.url, 'read_graph');
    expect(graph.isError).toBeFalsy();
    expect(graph.structuredContent).toEqual({ entities: [entity], relations: [] });
    expect(await readFile(memoryFile, 'utf8')).toContain('"name":"mcproxy-e2e"');

    const read = await callTool(proxy.url, 'read_text_file', { path: join(filesDir, 'note.txt') });
    expect(read.isError).toBeFalsy();
    expect(read.content).toEqual([{ type: 'text', text: NOTE }]);
  });

  it('stops on SIGTERM and takes the three servers with it', SLOW, async () => {
    await stopsCleanly(proxy, ['everything', 'memory', 'files']);
  });
});

describe('two copies of one server behind one mcproxy', () => {
  let proxy: Proxy;
  let filesDir = '';
  let archiveDir = '';

  beforeAll(async () => {
    filesDir = join(root, 'files-a');
    archiveDir = join(root, 'files-b');
    await mkdir(filesDir);
    await mkdir(archiveDir);
    await writeFile(join(filesDir, 'note.txt'), NOTE);
    await writeFile(join(archiveDir, 'old.txt'), ARCHIVED);
    proxy = await serve(
      {
        memory: { args: [MEMORY], env: { MEMORY_FILE_PATH: join(root, 'memory-2.jsonl') } },
        files: { args: [FILESYSTEM, filesDir] },
        archive: { args: [FILESYSTEM, archiveDir] },
      },
      'collide',
    );
  }, 60_000);

  it("prefixes exactly the names the two share, with the upstream's name", SLOW, async () => {
    const merged = await listTools(proxy.url);
    const expected = [...direct.memory, ...direct.files.map((n) => `files__${n}`), ...direct.files.map((n) => `archive__${n}`)];
    expect([...merged].sort()).toEqual(expected.sort());
  });

  it('sends each prefixed call to its own copy, and a bare shared name to none', SLOW, async () => {
    const archived = await callTool(proxy.url, 'archive__read_text_file', { path: join(archiveDir, 'old.txt') });
    expect(archived.isError).toBeFalsy();
    expect(archived.content).toEqual([{ type: 'text', text: ARCHIVED }]);
    const note = await callTool(proxy.url, 'files__read_text_file', { path: join(filesDir, 'note.txt') });
    expect(note.content).toEqual([{ type: 'text', text: NOTE }]);
    // The archive's file is outside what the "files" copy may read: its refusal proves where the call went.
    const refused = await callTool(proxy.url, 'files__read_text_file', { path: join(archiveDir, 'old.txt') });
    expect(refused.isError).toBe(true);
    expect(refused.content[0]?.text).toMatch(/access denied/i);

    const bare = await inspector([
      proxy.url,
      '--transport',
      'http',
      '--method',
      'tools/call',
      '--tool-name',
      'read_text_file',
      '--tool-arg',
      `path=${join(filesDir, 'note.txt')}`,
    ]);
    expect(bare.code).not.toBe(0);
    expect(bare.stdout).not.toContain(NOTE.trim());
    expect(bare.stderr).toMatch(/read_text_file.*not found/i);
  });

  it('stops on SIGTERM and takes both copies and the memory server with it', SLOW, async () => {
    await stopsCleanly(proxy, ['memory', 'files', 'archive']);
  });
});
