import { afterEach, describe, expect, it } from 'vitest';
import { createProxy, META, silentLogger, TASKS_EXTENSION, type Params, type Proxy } from '@mcproxy/core';
import { modernClient, modernUpstream, toolList, whenTrue as until, type ScriptedUpstream } from '@mcproxy/testing';
import { aggregate } from '../index.js';

let proxy: Proxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

const TASKS = { extensions: { [TASKS_EXTENSION]: {} } };

/** A tasks-extension upstream: `work` makes task `task-1` (both upstreams name it so). */
const tasker = (name: string): ScriptedUpstream =>
  modernUpstream(name, { capabilities: { tools: {}, ...TASKS } }, (method) =>
    method === 'tools/list'
      ? toolList(['work'])
      : { result: { resultType: 'task', taskId: 'task-1', status: 'working', createdAt: 'now', lastUpdatedAt: 'now' } },
  );

describe('tasks extension: notifications/tasks through subscriptions/listen', () => {
  it('splits task ids per upstream, acknowledges what it carries, and tags each status for the listen that asked, id wrapped', async () => {
    const [a, b, plain] = [tasker('a'), tasker('b'), modernUpstream('c', { capabilities: { tools: {} } }, () => toolList(['other']))];
    proxy = createProxy({ upstreams: [a, b, plain], middleware: [await aggregate({}, { log: silentLogger })] });
    const client = await modernClient(proxy);
    const make = async (tool: string) => (await client.request('tools/call', { name: tool }, TASKS).reply).result?.taskId as string;
    const [onA, onB] = [await make('a__work'), await make('b__work')];
    expect(onA).toMatch(/^mcpx1\./);
    expect(onA).not.toBe(onB);

    const forged = `${onA.slice(0, -4)}AAAA`;
    const first = client.request('subscriptions/listen', { notifications: { taskIds: [onA, forged], toolsListChanged: true } }, TASKS);
    const second = client.request('subscriptions/listen', { notifications: { taskIds: [onB] } }, TASKS);
    await until(() => a.sent('subscriptions/listen').length === 1 && b.sent('subscriptions/listen').length === 1);
    // Each upstream hears only its own task, by its own id; no upstream announces tool changes, and c makes no tasks.
    expect(a.sent('subscriptions/listen')[0]!.notifications).toEqual({ taskIds: ['task-1'] });
    expect(b.sent('subscriptions/listen')[0]!.notifications).toEqual({ taskIds: ['task-1'] });
    expect(plain.sent('subscriptions/listen')).toHaveLength(0);
    const acks = client.notifications.filter((n) => n.method === 'notifications/subscriptions/acknowledged');
    const ackOf = (id: number) => acks.find((n) => (n.params?._meta as Params)[META.subscriptionId] === id)?.params?.notifications;
    expect(ackOf(first.id)).toEqual({ taskIds: [onA] });
    expect(ackOf(second.id)).toEqual({ taskIds: [onB] });

    const status = (s: string) => ({ taskId: 'task-1', status: s, createdAt: 'now', lastUpdatedAt: 'now' });
    await a.announce('notifications/tasks', status('completed'));
    await b.announce('notifications/tasks', status('cancelled'));
    // A task nobody listens for (an upstream that sends more than it was asked) reaches nobody.
    await a.announce('notifications/tasks', { ...status('working'), taskId: 'task-9' });
    await until(() => client.notifications.filter((n) => n.method === 'notifications/tasks').length >= 2);
    await new Promise((r) => setTimeout(r, 30));
    const heard = client.notifications
      .filter((n) => n.method === 'notifications/tasks')
      .map((n) => [(n.params?._meta as Params)[META.subscriptionId], n.params?.taskId, n.params?.status]);
    expect(heard).toEqual([
      [first.id, onA, 'completed'],
      [second.id, onB, 'cancelled'],
    ]);
    await client.cancel(first.id);
    await client.cancel(second.id);
    await until(() => a.cancelled.length === 1 && b.cancelled.length === 1);
    expect([a.cancelled.length, b.cancelled.length]).toEqual([1, 1]);
  });

  it('refuses task notifications to a client without the tasks extension, -32021 naming it', async () => {
    proxy = createProxy({ upstreams: [tasker('a'), tasker('b')], middleware: [await aggregate({}, { log: silentLogger })] });
    const client = await modernClient(proxy);
    const reply = await client.request('subscriptions/listen', { notifications: { taskIds: ['x'] } }).reply;
    expect(reply.error).toMatchObject({ code: -32021, data: { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } } });
    expect(client.notifications).toEqual([]);
  });

  it('acknowledges a listen with nothing it can carry as empty, and ends it', async () => {
    proxy = createProxy({ upstreams: [tasker('a'), tasker('b')], middleware: [await aggregate({}, { log: silentLogger })] });
    const client = await modernClient(proxy);
    const { id, reply } = client.request('subscriptions/listen', { notifications: { taskIds: ['mcpx1.bogus.mac'], promptsListChanged: true } }, TASKS);
    expect((await reply).result).toBeDefined();
    expect(client.notifications.map((n) => [n.method, (n.params?._meta as Params)[META.subscriptionId], n.params?.notifications])).toEqual([
      ['notifications/subscriptions/acknowledged', id, {}],
    ]);
  });
});
