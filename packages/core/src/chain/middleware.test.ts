import { afterEach, describe, expect, it } from 'vitest';
import type { Middleware } from '../index.js';
import { harness, idOf, type Harness } from '../../test/harness.js';

let h: Harness;
afterEach(async () => h?.proxy.close());

describe('middleware in a proxy', () => {
  it('sees requests toward upstream in order and what upstreams start in reverse order', async () => {
    const trail: string[] = [];
    const spy = (name: string): Middleware =>
      async function spy(ctx, next) {
        trail.push(`${name}:${ctx.direction}:${ctx.message.method}`);
        return next();
      };
    h = await harness({ middleware: [spy('outer'), spy('inner')] });
    const c = await h.ready();
    const up = h.upstreams[0]!;
    await c.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x' } });
    await up.method('tools/call');
    await up.send({ jsonrpc: '2.0', id: 'p', method: 'ping' });
    await c.method('ping');
    expect(trail.filter((t) => t.endsWith('tools/call') || t.endsWith('ping'))).toEqual([
      'outer:upstream:tools/call',
      'inner:upstream:tools/call',
      'inner:downstream:ping',
      'outer:downstream:ping',
    ]);
  });

  it('can refuse a call before it reaches the upstream, and rewrite what comes back', async () => {
    const policy: Middleware = async function policy(ctx, next) {
      if (ctx.kind === 'request' && ctx.message.params?.name === 'secret') {
        return { error: { code: -32602, message: 'Unknown tool: secret' } };
      }
      const reply = await next();
      if (ctx.kind === 'request' && ctx.message.method === 'tools/list' && reply?.result) {
        const tools = reply.result.tools as Array<{ name: string }>;
        return { result: { ...reply.result, tools: tools.filter((t) => t.name !== 'secret') } };
      }
      return reply;
    };
    h = await harness({ middleware: [policy] });
    const c = await h.ready();
    const up = h.upstreams[0]!;
    await c.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'secret' } });
    const refused = (await c.response(1)).message as unknown as { error: { message: string } };
    expect(refused.error.message).toBe('Unknown tool: secret');
    await c.send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    const list = await up.method('tools/list');
    await up.send({ jsonrpc: '2.0', id: idOf(list.message), result: { tools: [{ name: 'secret' }, { name: 'open' }] } });
    const listed = (await c.response(2)).message as unknown as { result: { tools: Array<{ name: string }> } };
    expect(listed.result.tools.map((t) => t.name)).toEqual(['open']);
    expect(up.received.filter((r) => 'method' in r.message && r.message.method === 'tools/call')).toHaveLength(0);
  });

  it('keeps per-session state apart', async () => {
    const counter: Middleware = async function counter(ctx, next) {
      const key = Symbol.for('test.count');
      const n = ((ctx.session.state.get(key) as number | undefined) ?? 0) + 1;
      ctx.session.state.set(key, n);
      if (ctx.kind === 'request' && ctx.message.method === 'count') return { result: { n } };
      return next();
    };
    h = await harness({ middleware: [counter] });
    const a = await h.ready();
    const b = await h.ready();
    await a.send({ jsonrpc: '2.0', id: 1, method: 'count' });
    await a.send({ jsonrpc: '2.0', id: 2, method: 'count' });
    await b.send({ jsonrpc: '2.0', id: 1, method: 'count' });
    const n = async (w: typeof a, id: number) => ((await w.response(id)).message as unknown as { result: { n: number } }).result.n;
    // initialize and initialized were counted too: 2 before the first count.
    expect([await n(a, 1), await n(a, 2), await n(b, 1)]).toEqual([3, 4, 3]);
  });
});
