// Issue 16: what must survive aggregation, through the built CLI with real
// upstream processes: resource templates and links (two copies of the 2025
// fixture, whose every name collides), 2025-11-25 tasks (the same fixture's
// task tool), 2026-07-28 tasks (two copies of a server of the tasks extension),
// and MCP Apps (three app servers from npm built on @modelcontextprotocol/ext-apps,
// two of which share their ui:// resource and tool name).
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, CreateTaskResultSchema, GetTaskResultSchema, ListTasksResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { modernHeaders, modernMessage, postModern, until } from '@mcproxy/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURE, runCli, stopRuns, type CliRun } from '../kit/cli-process.js';

const TASK_SERVER = fileURLToPath(new URL('../../../../packages/testing/dist/modern-task-server.js', import.meta.url));
const SLOW = { timeout: 60_000 };
const TASKS = { extensions: { 'io.modelcontextprotocol/tasks': {} } };

const runs: CliRun[] = [];
const clients: Client[] = [];
let dir: string | undefined;

afterEach(async () => {
  await stopRuns(runs, clients, 'SIGTERM');
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** The CLI serving HTTP on port 0 with these upstreams (and `pipeline`, else the aggregate the CLI adds); its URL. */
async function proxy(upstreams: Record<string, { command: string; args: string[] }>, pipeline = '', level = 'warn'): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), 'mcproxy-aggregation-'));
  const file = join(dir, 'pipeline.yaml');
  await writeFile(file, `serve: { http: { port: 0 } }\nupstreams: ${JSON.stringify(upstreams)}\n${pipeline}`);
  const run = runCli(['--config', file, '--log-level', level]);
  runs.push(run);
  const line = await run.waitLog((l) => l.msg === 'proxy ready' && typeof l.url === 'string', 30_000);
  return line.url as string;
}

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: 'aggregation-e2e', version: '1' });
  clients.push(client);
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

const fixture = { command: process.execPath, args: [FIXTURE, '--stdio', '--aggregation'] };
const textOf = (content: unknown): string => (content as Array<{ text?: string }>)[0]?.text ?? '';

describe('templates and links through aggregate', () => {
  it('keeps two upstreams’ identical templates both reachable, and rewrites links and embedded resources so they read back', SLOW, async () => {
    const client = await connect(await proxy({ a: fixture, b: fixture }));
    const templates = (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
    expect(templates).toEqual(['mcproxy://a/=test://template/{id}/data', 'mcproxy://b/=test://template/{id}/data']);
    for (const [template, id] of [
      [templates[0], 'x%20y'],
      [templates[1], '42'],
    ] as const) {
      // The client expands the alias exactly as it would the original template ("x y" → "x%20y"),
      // and the upstream gets what the original would have given it (the fixture echoes it undecoded).
      const uri = (template as string).replace('{id}', id);
      const read = await client.readResource({ uri });
      expect(read.contents[0]?.uri).toBe(uri);
      expect(JSON.parse((read.contents[0] as { text: string }).text)).toMatchObject({ id });
    }

    // A bare URI both templates match could be either's: the answer names the aliases to read instead.
    await expect(client.readResource({ uri: 'test://template/5/data' })).rejects.toThrow(
      /not found: templates of several upstreams match it; read one of mcproxy:\/\/a\/test%3A%2F%2Ftemplate%2F5%2Fdata, mcproxy:\/\/b\//,
    );
    const listed = (await client.listResources()).resources.map((r) => r.uri);
    const bStatic = 'mcproxy://b/test%3A%2F%2Fstatic-text';
    expect(listed).toContain(bStatic);
    const links = (await client.callTool({ name: 'b__test_resource_links' })).content as Array<Record<string, any>>;
    // A listed URI is named as the list names it; the others get b's alias, so they still reach b.
    expect(links.map((c) => c.uri ?? c.resource?.uri)).toEqual([
      bStatic,
      'mcproxy://b/test%3A%2F%2Ftemplate%2F7%2Fdata',
      'mcproxy://b/test%3A%2F%2Ftemplate%2F8%2Fdata',
    ]);
    expect(textOf((await client.readResource({ uri: links[0]!.uri })).contents)).toBe('This is the content of the static text resource.');
    expect(JSON.parse(textOf((await client.readResource({ uri: links[1]!.uri })).contents))).toMatchObject({ id: '7' });
    expect(JSON.parse(textOf((await client.readResource({ uri: links[2]!.resource.uri })).contents))).toMatchObject({ id: '8' });

    const prompt = await client.getPrompt({ name: 'a__test_prompt_with_embedded_resource', arguments: { resourceUri: 'test://static-text' } });
    const embedded = (prompt.messages[0]?.content as { resource: { uri: string } }).resource.uri;
    expect(embedded).toBe('mcproxy://a/test%3A%2F%2Fstatic-text');
    expect(textOf((await client.readResource({ uri: embedded })).contents)).toBe('This is the content of the static text resource.');
  });
});

describe('2025-11-25 tasks through aggregate', () => {
  it('drives tasks made on two upstreams to completion through one endpoint, and keeps each session to its own', SLOW, async () => {
    const url = await proxy({ a: fixture, b: fixture });
    const client = await connect(url);
    expect(client.getServerCapabilities()?.tasks).toMatchObject({ list: {}, cancel: {}, requests: { tools: { call: {} } } });
    const start = async (name: string, args: Record<string, number>) =>
      (await client.request({ method: 'tools/call', params: { name, arguments: args, task: { ttl: 60_000 } } }, CreateTaskResultSchema)).task.taskId;
    const [ta, tb] = [await start('a__test_task_sum', { a: 1, b: 2, delayMs: 100 }), await start('b__test_task_sum', { a: 10, b: 20, delayMs: 200 })];
    expect(ta).toMatch(/^mcpx1\./);
    expect(tb).not.toBe(ta);

    const listed = await client.request({ method: 'tasks/list', params: {} }, ListTasksResultSchema);
    expect(listed.tasks.map((t) => t.taskId).sort()).toEqual([ta, tb].sort());
    for (const [id, sum] of [
      [ta, 'sum: 3'],
      [tb, 'sum: 30'],
    ] as const) {
      await until(
        async () => (await client.request({ method: 'tasks/get', params: { taskId: id } }, GetTaskResultSchema)).status === 'completed',
        `task ${id}`,
        10_000,
      );
      const result = await client.request({ method: 'tasks/result', params: { taskId: id } }, CallToolResultSchema);
      expect(textOf(result.content)).toBe(sum);
      expect(result._meta?.['io.modelcontextprotocol/related-task']).toEqual({ taskId: id });
    }

    const slow = await start('a__test_task_sum', { a: 0, b: 0, delayMs: 10_000 });
    const cancelled = await client.request({ method: 'tasks/cancel', params: { taskId: slow } }, GetTaskResultSchema);
    expect(cancelled).toMatchObject({ taskId: slow, status: 'cancelled' });

    // An id edited by hand, or another session's, reaches nobody.
    const forged = ta.slice(0, -2) + (ta.endsWith('AA') ? 'AB' : 'AA');
    await expect(client.request({ method: 'tasks/get', params: { taskId: forged } }, GetTaskResultSchema)).rejects.toThrow(/unknown taskId/);
    const other = await connect(url);
    await expect(other.request({ method: 'tasks/get', params: { taskId: ta } }, GetTaskResultSchema)).rejects.toThrow(/unknown taskId/);
    expect((await other.request({ method: 'tasks/list', params: {} }, ListTasksResultSchema)).tasks).toEqual([]);
  });
});

describe('2026-07-28 tasks through aggregate', () => {
  it('drives tasks made on two upstreams (both calling theirs task-1) to completion, with input and cancellation', SLOW, async () => {
    const server = (name: string) => ({ command: process.execPath, args: [TASK_SERVER, '--name', name] });
    const url = await proxy({ a: server('a'), b: server('b') });
    const ask = async (method: string, params: Record<string, unknown> = {}) => {
      const reply = await postModern(url, method, params, { capabilities: TASKS });
      return reply.message ?? {};
    };
    const discovered = await ask('server/discover');
    expect(discovered.result?.capabilities).toMatchObject(TASKS);
    const [a, b] = [
      await ask('tools/call', { name: 'a__task_sum', arguments: { a: 1, b: 2 } }),
      await ask('tools/call', { name: 'b__task_sum', arguments: { a: 10, b: 20 } }),
    ];
    expect(a.result).toMatchObject({ resultType: 'task', status: 'working' });
    const [ta, tb] = [a.result?.taskId as string, b.result?.taskId as string];
    expect(ta).toMatch(/^mcpx1\./);
    expect(tb).not.toBe(ta);
    for (const [id, said, upstream] of [
      [ta, 'a sum: 3', 'a'],
      [tb, 'b sum: 30', 'b'],
    ] as const) {
      const done = await until(
        async () => {
          const got: Record<string, any> = (await ask('tasks/get', { taskId: id })).result ?? {};
          return got.status === 'completed' && got;
        },
        `task ${id}`,
        10_000,
      );
      expect(done.taskId).toBe(id);
      expect(textOf(done.result.content)).toBe(said);
      // The link in the task's result reaches the upstream that made the task.
      const link = done.result.content[1].uri as string;
      expect(link).toBe(`mcproxy://${upstream}/test%3A%2F%2Ftask%2Ftask-1`);
      expect(textOf((await ask('resources/read', { uri: link })).result?.contents)).toBe(`${upstream} report of task-1`);
    }

    const greet = (await ask('tools/call', { name: 'b__task_greet', arguments: {} })).result ?? {};
    const asked = (await ask('tasks/get', { taskId: greet.taskId })).result ?? {};
    expect(asked).toMatchObject({ status: 'input_required', inputRequests: { name: { method: 'elicitation/create' } } });
    expect(
      (await ask('tasks/update', { taskId: greet.taskId, inputResponses: { name: { action: 'accept', content: { name: 'Ada' } } } })).error,
    ).toBeUndefined();
    const greeted: Record<string, any> = (await ask('tasks/get', { taskId: greet.taskId })).result ?? {};
    expect(greeted.status).toBe('completed');
    expect(textOf(greeted.result.content)).toBe('b greets Ada');

    const slow = (await ask('tools/call', { name: 'a__task_sum', arguments: { a: 0, b: 0, delayMs: 10_000 } })).result ?? {};
    expect((await ask('tasks/cancel', { taskId: slow.taskId })).error).toBeUndefined();
    expect((await ask('tasks/get', { taskId: slow.taskId })).result?.status).toBe('cancelled');
    expect((await ask('tasks/get', { taskId: 'task-1' })).error).toMatchObject({ code: -32602, message: 'Invalid params: unknown taskId' });
    // Mcp-Name names the task, as the extension asks, so a load balancer can route by it.
    const misnamed = await postModern(url, 'tasks/get', { taskId: ta }, { capabilities: TASKS, headers: { 'mcp-name': 'task-1' } });
    expect(misnamed.message?.error?.message).toMatch(/Mcp-Name header value .* does not match body params.taskId/);
  });
});

/** A 2026-07-28 listen held open over HTTP: every frame it has heard so far, until `stop`. */
function openListen(url: string, id: number, notifications: Record<string, unknown>) {
  const params = { notifications };
  const stop = new AbortController();
  const frames: Array<Record<string, any>> = [];
  const done = fetch(url, {
    method: 'POST',
    headers: modernHeaders('subscriptions/listen', params),
    body: JSON.stringify(modernMessage('subscriptions/listen', params, { id, capabilities: TASKS })),
    signal: stop.signal,
  })
    .then(async (response) => {
      const decoder = new TextDecoder();
      let buffered = '';
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(chunk, { stream: true });
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) if (line.startsWith('data:')) frames.push(JSON.parse(line.slice(5)));
      }
    })
    .catch(() => undefined);
  const end = (): Promise<void> => {
    stop.abort();
    return done;
  };
  return { frames, stop: end };
}

describe('task notifications and cleanup through aggregate', () => {
  it('a 2026-07-28 listen with task ids hears the status of its own tasks only, ids and links as the client knows them', SLOW, async () => {
    const server = (name: string) => ({ command: process.execPath, args: [TASK_SERVER, '--name', name] });
    const url = await proxy({ a: server('a'), b: server('b') });
    const start = async (name: string, delayMs: number) =>
      (await postModern(url, 'tools/call', { name, arguments: { a: 1, b: 2, delayMs } }, { capabilities: TASKS })).message?.result?.taskId as string;
    // Both upstreams call their first task task-1; the third, task-2 on a, is asked about by nobody.
    const [ta, tb, tc] = [await start('a__task_sum', 1500), await start('b__task_sum', 1500), await start('a__task_sum', 1500)];
    const first = openListen(url, 1, { taskIds: [ta, 'task-1'] });
    const second = openListen(url, 2, { taskIds: [tb] });
    try {
      const heard = (l: typeof first) => l.frames.filter((f) => f.method === 'notifications/tasks');
      await until(() => heard(first).length > 0 && heard(second).length > 0, 'status notifications', 10_000);
      // The upstream's own id is no id of this proxy's: it is not acknowledged, and nothing is sent for it.
      expect(first.frames[0]).toMatchObject({ method: 'notifications/subscriptions/acknowledged', params: { notifications: { taskIds: [ta] } } });
      expect(second.frames[0]).toMatchObject({ method: 'notifications/subscriptions/acknowledged', params: { notifications: { taskIds: [tb] } } });
      await new Promise((r) => setTimeout(r, 300));
      for (const [listen, id, upstream, subscription] of [
        [first, ta, 'a', 1],
        [second, tb, 'b', 2],
      ] as const) {
        const statuses = heard(listen);
        expect(statuses.map((n) => [n.params.taskId, n.params.status, n.params._meta['io.modelcontextprotocol/subscriptionId']])).toEqual([
          [id, 'completed', subscription],
        ]);
        expect(statuses[0]!.params.result.content[1].uri).toBe(`mcproxy://${upstream}/test%3A%2F%2Ftask%2Ftask-1`);
      }
      expect([...first.frames, ...second.frames].some((f) => f.params?.taskId === tc)).toBe(false);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });

  it('a 2025-11-25 session that ends with a running task has it cancelled upstream, and only that one', SLOW, async () => {
    const url = await proxy({ a: fixture, b: fixture }, '', 'info');
    const client = new Client({ name: 'aggregation-e2e', version: '1' });
    const transport = new StreamableHTTPClientTransport(new URL(url));
    await client.connect(transport);
    const start = async (delayMs: number) =>
      (
        await client.request(
          { method: 'tools/call', params: { name: 'a__test_task_sum', arguments: { a: 1, b: 2, delayMs }, task: { ttl: 60_000 } } },
          CreateTaskResultSchema,
        )
      ).task.taskId;
    const done = await start(10);
    await until(
      async () => (await client.request({ method: 'tasks/get', params: { taskId: done } }, GetTaskResultSchema)).status === 'completed',
      'quick task',
    );
    await start(10_000);
    await transport.terminateSession();
    await client.close();
    const run = runs[runs.length - 1]!;
    const cancelled = await run.waitLog((l) => typeof l.stderr === 'string' && /fixture: task .* cancelled/.test(l.stderr), 10_000);
    expect(cancelled.stderr).toMatch(/^fixture: task \S+ cancelled$/);
    await new Promise((r) => setTimeout(r, 300));
    expect(run.logs.filter((l) => typeof l.stderr === 'string' && /cancelled/.test(l.stderr))).toHaveLength(1);
  });
});

describe('MCP Apps through aggregate', () => {
  /** An app server's bin, from the copy installed beside this test (their `exports` hide package.json from require.resolve). */
  const app = (pkg: string) => {
    const manifest = fileURLToPath(new URL(`../../node_modules/${pkg}/package.json`, import.meta.url));
    const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: Record<string, string> };
    return { command: process.execPath, args: [join(dirname(manifest), Object.values(bin)[0] as string), '--stdio'] };
  };

  it('keeps ui:// resources ui://, points each app tool at its own, and routes in-app calls by the server’s own names', SLOW, async () => {
    const url = await proxy(
      {
        vanilla: app('@modelcontextprotocol/server-basic-vanillajs'),
        preact: app('@modelcontextprotocol/server-basic-preact'),
        budget: app('@modelcontextprotocol/server-budget-allocator'),
      },
      'pipeline:\n  - use: aggregate\n    with: { prefix: always }\n',
    );
    const client = await connect(url);
    const tools = (await client.listTools()).tools;
    const uiOf = (name: string) => (tools.find((t) => t.name === name)?._meta as { ui?: { resourceUri?: string } } | undefined)?.ui?.resourceUri;
    const vanilla = uiOf('vanilla__get-time');
    const preact = uiOf('preact__get-time');
    // Both servers call their view ui://get-time/mcp-app.html: each is rewritten, within ui://, to its own.
    expect(vanilla).toBe('ui://mcproxy/vanilla/ui%3A%2F%2Fget-time%2Fmcp-app.html');
    expect(preact).toBe('ui://mcproxy/preact/ui%3A%2F%2Fget-time%2Fmcp-app.html');
    expect(uiOf('budget__get-budget-data')).toBe('ui://budget-allocator/mcp-app.html');
    const resources = (await client.listResources()).resources.map((r) => r.uri);
    expect(resources).toEqual(expect.arrayContaining([vanilla, preact, 'ui://budget-allocator/mcp-app.html']));

    const views = await Promise.all([vanilla, preact].map((uri) => client.readResource({ uri: uri as string })));
    for (const [i, view] of views.entries()) {
      expect(view.contents[0]).toMatchObject({ uri: [vanilla, preact][i], mimeType: 'text/html;profile=mcp-app' });
    }
    expect((views[0]?.contents[0] as { text: string }).text).not.toBe((views[1]?.contents[0] as { text: string }).text);

    // The budget app calls its server's tool by that server's own name.
    const data = await client.callTool({ name: 'get-budget-data', arguments: {} });
    expect(data.isError).not.toBe(true);
    expect(JSON.stringify(data)).toMatch(/categor/i);
    // get-time is the own name of two servers' tools: the proxy cannot tell which app asks, so it says so.
    await expect(client.callTool({ name: 'get-time', arguments: {} })).rejects.toThrow(/several upstreams; call one of vanilla__get-time, preact__get-time/);
    expect(textOf((await client.callTool({ name: 'preact__get-time', arguments: {} })).content)).toMatch(/\d/);
  });
});
