import { ConfigError, defineMiddleware, type ClientContext, type Middleware } from '@mcproxy/core';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fromFactory, testMiddleware, type Kit } from './index.js';

const tagText = (prefix: string): Middleware =>
  async function tagText(ctx, next) {
    const reply = await next();
    if (ctx.kind !== 'request' || ctx.message.method !== 'tools/call' || reply?.result === undefined) return reply;
    const content = (reply.result.content as Array<{ type: string; text?: string }>).map((c) => (c.type === 'text' ? { ...c, text: prefix + c.text } : c));
    return { result: { ...reply.result, content } };
  };

let kit: Kit | undefined;
afterEach(() => kit?.close());

describe.each(['legacy', 'modern'] as const)('testMiddleware, %s era', (era) => {
  it('changes what the client gets back', async () => {
    kit = await testMiddleware(tagText('> '), { era, upstream: { tools: [{ name: 'echo', call: (args) => String(args.text) }] } });
    expect(await kit.callTool('echo', { text: 'hi' })).toMatchObject({ result: { content: [{ type: 'text', text: '> hi' }] } });
    expect(kit.sent('tools/call')).toEqual([{ name: 'echo', arguments: { text: 'hi' } }]);
  });

  it('shows what the upstream received, and never sends what the middleware answered itself', async () => {
    const block: Middleware = async function block(ctx, next) {
      if (ctx.kind === 'request' && ctx.message.params?.name === 'rm') return { error: { code: -32602, message: 'Unknown tool: rm' } };
      return next();
    };
    kit = await testMiddleware(block, { era, upstream: { tools: [{ name: 'rm' }, { name: 'ls' }] } });
    expect((await kit.callTool('rm')).error?.message).toBe('Unknown tool: rm');
    expect((await kit.callTool('ls', { path: '/' })).result).toBeDefined();
    expect(kit.received.map((r) => [r.method, r.params.name])).toEqual([['tools/call', 'ls']]);
  });

  it('gives the middleware ctx.client in both eras', async () => {
    let seen: ClientContext | undefined;
    const look: Middleware = async function look(ctx, next) {
      seen = ctx.client;
      return next();
    };
    kit = await testMiddleware(look, { era, client: { info: { name: 'me', version: '2' }, capabilities: { sampling: {} } } });
    expect((await kit.call('tools/list')).result).toEqual(expect.objectContaining({ tools: [] }));
    expect(seen).toMatchObject({ era, info: { name: 'me', version: '2' }, capabilities: { sampling: {} } });
  });
});

describe('testMiddleware', () => {
  it('lets a routing middleware pick one of several upstreams, and scripts answers with handle', async () => {
    const route: Middleware = async function route(ctx, next) {
      ctx.upstream = ctx.kind === 'request' && ctx.message.method === 'prompts/list' ? 'b' : 'a';
      return next();
    };
    kit = await testMiddleware(route, {
      upstreams: { a: {}, b: { handle: (method) => (method === 'prompts/list' ? { result: { prompts: [{ name: 'p' }] } } : undefined) } },
    });
    expect((await kit.call('prompts/list')).result).toEqual({ prompts: [{ name: 'p' }] });
    expect((await kit.call('resources/list')).error?.code).toBe(-32601);
    expect(kit.received.map((r) => `${r.upstream}:${r.method}`)).toEqual(['b:prompts/list', 'a:resources/list']);
  });

  it('carries what an upstream says first to the client, through the middleware', async () => {
    const drop: Middleware = async function drop(ctx, next) {
      if (ctx.direction === 'downstream' && ctx.kind === 'notification' && ctx.message.method === 'notifications/message') return undefined;
      return next();
    };
    kit = await testMiddleware(drop);
    await kit.call('ping');
    await kit.notifyFromUpstream('notifications/message', { level: 'info', data: 'dropped' });
    await kit.notifyFromUpstream('notifications/tools/list_changed');
    await expect.poll(() => kit!.notifications.map((n) => n.method)).toEqual(['notifications/tools/list_changed']);
  });

  it('fails a call that never gets an answer, saying why', async () => {
    const hang: Middleware = (ctx, next) => (ctx.kind === 'request' && ctx.message.method === 'tools/list' ? new Promise(() => undefined) : next());
    kit = await testMiddleware(hang, { timeoutMs: 50 });
    await expect(kit.call('tools/list')).rejects.toThrow(/no answer in 50 ms/);
  });

  it('builds from a factory as a pipeline file does, options checked', async () => {
    const factory = defineMiddleware('tag', z.object({ prefix: z.string() }), ({ prefix }) => tagText(prefix));
    await expect(fromFactory(factory, { prefix: 1 })).rejects.toBeInstanceOf(ConfigError);
    kit = await testMiddleware(await fromFactory(factory, { prefix: '# ' }), { upstream: { tools: [{ name: 'echo' }] } });
    expect(await kit.callTool('echo', { a: 1 })).toMatchObject({ result: { content: [{ text: '# {"a":1}' }] } });
  });
});
