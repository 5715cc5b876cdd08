import { afterEach, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { MemorySecretKeys, silentLogger, type Context, type Fork } from '@mcproxy/core';
import { memoryUpstream } from '@mcproxy/testing';
import { aggregate } from './aggregate.js';
import { start, stop, textOf, toolServer } from '../test/servers.js';
import { exposeUri, mapLinks, type UriViews } from './lists/links.js';
import { merge } from './lists/names.js';
import { TaskIds } from './tasks/task-ids.js';
import { withoutClientTasks, wrapTasks } from './tasks/tasks.js';

afterEach(stop);

const options = { prefix: 'collision', separator: '__' } as const;

describe('task ids across aggregation', () => {
  const ids = new TaskIds(new MemorySecretKeys());

  it('opens only what it wrapped, for the binding and upstreams it was made for', () => {
    const id = ids.wrap('a', 'task-1', 'session-1');
    expect(ids.open(id, 'session-1', ['a', 'b'])).toEqual({ upstream: 'a', id: 'task-1' });
    // Another session's id, an upstream no longer configured, an edited payload, a foreign key: all unknown.
    expect(ids.open(id, 'session-2', ['a', 'b'])).toHaveProperty('error.error.code', -32602);
    expect(ids.open(id, 'session-1', ['b'])).toHaveProperty('error.error.message', 'Invalid params: unknown taskId');
    const [prefix, , mac] = id.split('.');
    const edited = `${prefix}.${Buffer.from(JSON.stringify(['b', 'task-1', 'session-1'])).toString('base64url')}.${mac}`;
    expect(ids.open(edited, 'session-1', ['a', 'b'])).toHaveProperty('error');
    expect(new TaskIds(new MemorySecretKeys()).open(id, 'session-1', ['a'])).toHaveProperty('error');
    for (const bad of [undefined, 7, '', 'task-1', 'mcpx1.', 'mcpx1.x', `mcpx1.${'A'.repeat(5000)}.x`])
      expect(ids.open(bad, 'session-1', ['a'])).toHaveProperty('error');
  });

  it('keeps ids across restarts when given a stateKey, and never accepts a requestState key in their place', () => {
    const key = 'k'.repeat(32);
    const id = new TaskIds(new MemorySecretKeys(key)).wrap('a', 't', '');
    expect(new TaskIds(new MemorySecretKeys(key)).open(id, '', ['a'])).toEqual({ upstream: 'a', id: 't' });
    expect(new TaskIds(new MemorySecretKeys('j'.repeat(32))).open(id, '', ['a'])).toHaveProperty('error');
    // The key is HMAC-SHA256(stateKey, "mcproxy task ids"), as ever: ids handed out before keys came from a ring still open.
    const body = Buffer.from(JSON.stringify(['a', 't', ''])).toString('base64url');
    const derived = createHmac('sha256', key).update('mcproxy task ids').digest();
    expect(id).toBe(`mcpx1.${body}.${createHmac('sha256', derived).update(body).digest('base64url')}`);
  });

  it('wraps every place a task id sits: a Task, a legacy CreateTaskResult, a list and related-task _meta', () => {
    const ctx = { client: { era: 'legacy' }, session: { id: 's', era: 'legacy', state: new Map() } } as never;
    const wrapped = wrapTasks(
      ctx,
      ids,
      'a',
      { taskId: 'x', task: { taskId: 'y' }, tasks: [{ taskId: 'z' }, 3], _meta: { 'io.modelcontextprotocol/related-task': { taskId: 'w' }, other: 1 } },
      true,
    );
    expect(ids.open(wrapped.taskId, 's', ['a'])).toEqual({ upstream: 'a', id: 'x' });
    expect(ids.open((wrapped.task as { taskId: string }).taskId, 's', ['a'])).toEqual({ upstream: 'a', id: 'y' });
    expect(ids.open((wrapped.tasks as Array<{ taskId: string }>)[0]?.taskId, 's', ['a'])).toEqual({ upstream: 'a', id: 'z' });
    expect((wrapped.tasks as unknown[])[1]).toBe(3);
    const meta = wrapped._meta as Record<string, { taskId: string }>;
    expect(ids.open(meta['io.modelcontextprotocol/related-task']?.taskId, 's', ['a'])).toEqual({ upstream: 'a', id: 'w' });
    expect(meta.other).toBe(1);
  });
});

describe('what upstreams hear of the client', () => {
  it('is its initialize without the tasks capability, which a shared link could not carry back', () => {
    const params = { protocolVersion: '2025-11-25', capabilities: { sampling: {}, tasks: { requests: { sampling: { createMessage: {} } } } } };
    expect(withoutClientTasks(params)).toEqual({ protocolVersion: '2025-11-25', capabilities: { sampling: {} } });
    expect(withoutClientTasks({ capabilities: { roots: {} } })).toEqual({ capabilities: { roots: {} } });
    expect(withoutClientTasks(undefined)).toBeUndefined();
  });
});

describe('task status notifications', () => {
  it('reach only the session whose task it is, with the id that session knows', async () => {
    const mw = await aggregate({}, { log: silentLogger });
    const session = (id: string) => ({ id, era: 'legacy' as const, state: new Map(), client: undefined, onClose: () => () => {} });
    const [mine, theirs] = [session('A'), session('B')];
    const ctx = (s: ReturnType<typeof session>, kind: 'request' | 'notification', method: string, params: Record<string, unknown>) =>
      ({
        kind,
        direction: kind === 'request' ? 'upstream' : 'downstream',
        session: s,
        client: { era: 'legacy', protocolVersion: '2025-11-25', capabilities: {}, info: { name: 't', version: '1' } },
        upstream: kind === 'request' ? undefined : 'a',
        upstreams: ['a', 'b'],
        signal: new AbortController().signal,
        log: silentLogger,
        message: { jsonrpc: '2.0', method, params },
      }) as unknown as Context;
    // Session A makes a task on a (a call answered with a CreateTaskResult).
    const created = await mw(ctx(mine, 'request', 'tools/call', { name: 'a__slow', task: {} }), async (fork?: Fork) =>
      fork?.message?.method === 'tools/list' ? { result: { tools: [{ name: 'slow' }] } } : { result: { task: { taskId: 't1', status: 'working' } } },
    );
    const wrapped = (created?.result?.task as { taskId: string }).taskId;
    expect(wrapped).toMatch(/^mcpx1\./);
    const heard: unknown[] = [];
    const pass = async (fork?: Fork) => {
      heard.push(fork?.message?.params);
      return undefined;
    };
    const status = { taskId: 't1', status: 'completed' };
    // Core may hand a shared link's notification to whichever session has requests in flight: B must not hear A's task.
    await mw(ctx(theirs, 'notification', 'notifications/tasks/status', status), pass);
    expect(heard).toEqual([]);
    await mw(ctx(mine, 'notification', 'notifications/tasks/status', status), pass);
    expect(heard).toEqual([{ taskId: wrapped, status: 'completed' }]);
  });
});

describe('templates and links across aggregation', () => {
  it('treats templates that expand to the same URIs as one name, and aliases each reversibly', () => {
    const view = merge(
      'resourceTemplates',
      [
        ['a', [{ uriTemplate: 'file:///{path}' }, { uriTemplate: 'db://{table}' }]],
        ['b', [{ uriTemplate: 'file:///{name}' }]],
      ],
      options,
    );
    expect(view.items.map((t) => t.uriTemplate)).toEqual(['mcproxy://a/=file:///{path}', 'db://{table}', 'mcproxy://b/=file:///{name}']);
    expect(view.routes.get('mcproxy://b/=file:///{name}')).toEqual({ upstream: 'b', original: 'file:///{name}' });
  });

  it('names a link as the list does, keeps one that already reaches its upstream, and aliases the rest', () => {
    const resources = merge(
      'resources',
      [
        ['a', [{ uri: 'test://shared' }, { uri: 'test://only-a' }]],
        ['b', [{ uri: 'test://shared' }]],
      ],
      options,
    );
    const templates = merge('resourceTemplates', [['b', [{ uriTemplate: 'b://{x}' }]]], options);
    const views: UriViews = { resources, templates, upstreams: ['a', 'b'], offers: () => true };
    expect(exposeUri('b', 'test://shared', views)).toBe('mcproxy://b/test%3A%2F%2Fshared');
    expect(exposeUri('a', 'test://only-a', views)).toBe('test://only-a');
    expect(exposeUri('b', 'b://7', views)).toBe('b://7');
    // Reaches b by b's template, so coming from a it needs a's alias; unlisted and unmatched, the same.
    expect(exposeUri('a', 'b://7', views)).toBe('mcproxy://a/b%3A%2F%2F7');
    expect(exposeUri('a', 'ui://v/app.html', views)).toBe('ui://mcproxy/a/ui%3A%2F%2Fv%2Fapp.html');
  });

  it('maps links and embedded resources in tool results, task results, prompts and reads, and nothing else', () => {
    const map = (uri: string) => `x:${uri}`;
    const content = [
      { type: 'resource_link', uri: 'l' },
      { type: 'resource', resource: { uri: 'e', text: '' } },
      { type: 'text', text: 'l' },
    ];
    expect(mapLinks('tools/call', { content }, map).content).toEqual([
      { type: 'resource_link', uri: 'x:l' },
      { type: 'resource', resource: { uri: 'x:e', text: '' } },
      { type: 'text', text: 'l' },
    ]);
    expect(mapLinks('tasks/get', { status: 'completed', result: { content } }, map)).toHaveProperty('result.content.0.uri', 'x:l');
    expect(mapLinks('prompts/get', { messages: [{ role: 'user', content: content[1] }] }, map)).toHaveProperty('messages.0.content.resource.uri', 'x:e');
    expect(mapLinks('resources/read', { contents: [{ uri: 'r', text: '' }] }, map)).toHaveProperty('contents.0.uri', 'x:r');
    expect(mapLinks('tools/list', { content }, map)).toEqual({ content });
  });
});

describe('in-app calls by a server’s own tool names', () => {
  it('reach the one upstream with that name, and are refused with the choices when several have it', async () => {
    const client = await start([memoryUpstream('a', toolServer('a', ['get-time', 'only-a'])), memoryUpstream('b', toolServer('b', ['get-time']))], {
      prefix: 'always',
    });
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['a__get-time', 'a__only-a', 'b__get-time']);
    expect(textOf(await client.callTool({ name: 'only-a' }))).toBe('a:only-a');
    await expect(client.callTool({ name: 'get-time' })).rejects.toThrow(/several upstreams; call one of a__get-time, b__get-time/);
    await expect(client.callTool({ name: 'nothing' })).rejects.toThrow(/Tool nothing not found/);
  });
});
