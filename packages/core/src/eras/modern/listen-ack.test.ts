import { afterEach, describe, expect, it } from 'vitest';
import { harness, idOf, isMethod, waitFor, type Harness } from '../../../test/harness.js';
import { acknowledgeListen, META, TASKS_EXTENSION, type Message, type Middleware, type Next } from '../../index.js';

const V = '2026-07-28';
const TASKS = { extensions: { [TASKS_EXTENSION]: {} } };
const modern = (id: string | number, method: string, params: Record<string, unknown>, capabilities: Record<string, unknown> = TASKS) => ({
  jsonrpc: '2.0',
  id,
  method,
  params: { ...params, _meta: { [META.protocolVersion]: V, [META.clientCapabilities]: capabilities, [META.clientInfo]: { name: 'c', version: '1' } } },
});
type Any = Record<string, any>;
const body = (m: Message): Any => m as unknown as Any;

let h: Harness;
afterEach(async () => {
  await h?.proxy.close();
});

async function upstreamListen(): Promise<Any> {
  await waitFor(() => h.upstreams[0]);
  const up = h.upstreams[0]!;
  const probe = await up.method('server/discover');
  await up.send({ jsonrpc: '2.0', id: idOf(probe.message), result: { resultType: 'complete', supportedVersions: [V], capabilities: { ...TASKS } } });
  return body((await up.method('subscriptions/listen')).message);
}

describe('subscriptions/listen with task ids', () => {
  it('asks the upstream for them, acknowledges them, and passes notifications/tasks for those tasks only', async () => {
    h = await harness();
    const c = await h.client();
    await c.send(modern('l', 'subscriptions/listen', { notifications: { taskIds: ['t1', 7, 't2'] } }));
    const listen = await upstreamListen();
    expect(listen.params.notifications).toEqual({ taskIds: ['t1', 7, 't2'] });
    const ack = body((await c.method('notifications/subscriptions/acknowledged')).message);
    expect(ack.params.notifications).toEqual({ taskIds: ['t1', 't2'] });
    const tag = { [META.subscriptionId]: listen.id };
    for (const taskId of ['t9', 't2']) {
      await h.upstreams[0]!.send({ jsonrpc: '2.0', method: 'notifications/tasks', params: { taskId, status: 'completed', _meta: tag } });
    }
    const heard = body((await c.method('notifications/tasks')).message);
    expect(heard.params).toMatchObject({ taskId: 't2', status: 'completed', _meta: { [META.subscriptionId]: 'l' } });
    await new Promise((r) => setTimeout(r, 20));
    expect(c.received.filter((r) => isMethod(r.message, 'notifications/tasks'))).toHaveLength(1);
  });

  it('refuses task notifications to a client that did not declare the tasks extension (-32021), before anything else', async () => {
    h = await harness();
    const c = await h.client();
    await c.send(modern('l', 'subscriptions/listen', { notifications: { taskIds: ['t1'] } }, {}));
    const reply = body((await c.response('l')).message);
    expect(reply.error).toMatchObject({ code: -32021, data: { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } } });
    expect(c.received).toHaveLength(1);
    expect(h.upstreams).toHaveLength(0);
  });

  it('lets a middleware acknowledge only what it honours, and then sends only that', async () => {
    const narrowing: Middleware = async function narrowing(ctx, next) {
      if (ctx.kind === 'request' && ctx.message.method === 'subscriptions/listen')
        await acknowledgeListen(ctx, { toolsListChanged: true, taskIds: ['t1', 'nope'] });
      return next();
    };
    h = await harness({ middleware: [narrowing] });
    const c = await h.client();
    await c.send(modern('l', 'subscriptions/listen', { notifications: { toolsListChanged: true, promptsListChanged: true, taskIds: ['t1', 't2'] } }));
    const listen = await upstreamListen();
    const ack = body((await c.method('notifications/subscriptions/acknowledged')).message);
    expect(ack.params.notifications).toEqual({ toolsListChanged: true, taskIds: ['t1'] });
    const tag = { [META.subscriptionId]: listen.id };
    await h.upstreams[0]!.send({ jsonrpc: '2.0', method: 'notifications/prompts/list_changed', params: { _meta: tag } });
    await h.upstreams[0]!.send({ jsonrpc: '2.0', method: 'notifications/tasks', params: { taskId: 't2', status: 'failed', _meta: tag } });
    await h.upstreams[0]!.send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: { _meta: tag } });
    await c.method('notifications/tools/list_changed');
    expect(c.received.map((r) => ('method' in r.message ? r.message.method : 'reply'))).toEqual([
      'notifications/subscriptions/acknowledged',
      'notifications/tools/list_changed',
    ]);
  });
});

describe('session close hooks', () => {
  it('run when a session ends, before its links are released, so a hook can still send through the chain; a failing hook costs nothing else', async () => {
    let kept: Next | undefined;
    const cleanup: Middleware = async function cleanup(ctx, next) {
      if (ctx.kind === 'request' && ctx.message.method === 'tools/call') {
        kept = next;
        ctx.session.onClose(() => {
          throw new Error('boom');
        });
        ctx.session.onClose(async () => {
          await kept?.({ message: { jsonrpc: '2.0', method: 'tasks/cancel', params: { taskId: 'x' } }, signal: AbortSignal.timeout(1000) });
        });
        const removed = ctx.session.onClose(() => {
          throw new Error('removed hooks never run');
        });
        removed();
      }
      return next();
    };
    h = await harness({ mode: 'per-session', middleware: [cleanup] });
    const c = await h.ready();
    const up = h.upstreams[0]!;
    await c.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'slow' } });
    const call = await up.method('tools/call');
    await up.send({ jsonrpc: '2.0', id: idOf(call.message), result: { content: [] } });
    await c.response(1);
    await c.channel.close();
    // The session's own link is still open for the hook's request.
    const cancel = body((await up.method('tasks/cancel')).message);
    expect(cancel.params.taskId).toBe('x');
    await up.send({ jsonrpc: '2.0', id: cancel.id, result: {} });
    await waitFor(() => (h.proxy.sessions.size === 0 ? true : undefined));
    expect(h.proxy.sessions.size).toBe(0);
  });
});
