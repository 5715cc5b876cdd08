import { describe, expect, it } from 'vitest';
import { compose } from './compose.js';
import type { Context, Middleware } from './middleware.js';
import { silentLogger } from '../wire/logger.js';
import { unstatedClient } from './client-context.js';

const ctx = (kind: 'request' | 'notification' = 'request'): Context =>
  ({
    kind,
    direction: 'upstream',
    client: unstatedClient('legacy'),
    upstream: undefined,
    upstreams: ['a', 'b'],
    signal: new AbortController().signal,
    log: silentLogger,
    session: { id: 's', state: new Map(), era: undefined, client: undefined, onClose: () => () => {} },
    message: { jsonrpc: '2.0', method: 'tools/call', params: {} },
  }) as Context;

describe('compose', () => {
  it('runs middleware in order around the terminal, like an onion', async () => {
    const trail: string[] = [];
    const mw = (name: string): Middleware =>
      async function named(_c, next) {
        trail.push(`${name} in`);
        const r = await next();
        trail.push(`${name} out`);
        return r;
      };
    const run = compose([mw('a'), mw('b')], async () => {
      trail.push('terminal');
      return { result: { ok: true } };
    });
    expect(await run(ctx())).toEqual({ result: { ok: true } });
    expect(trail).toEqual(['a in', 'b in', 'terminal', 'b out', 'a out']);
  });

  it('lets a middleware answer without calling next', async () => {
    let reached = false;
    const refusal: Middleware = async function refuse() {
      return { error: { code: -32602, message: 'no' } };
    };
    const run = compose([refusal], async () => {
      reached = true;
      return { result: {} };
    });
    expect((await run(ctx()))?.error?.code).toBe(-32602);
    expect(reached).toBe(false);
  });

  it('refuses a second call of next, naming the middleware', async () => {
    const callsTwice: Middleware = async function twice(_c, next) {
      await next();
      return next();
    };
    const run = compose([callsTwice], async () => ({ result: {} }));
    await expect(run(ctx())).rejects.toThrow(/twice called next\(\) more than once/);
  });

  it('turns a request that comes back with no reply into an error that names the culprit', async () => {
    const dropsReply: Middleware = async function lossy(_c, next) {
      await next();
      return undefined;
    };
    const reply = await compose([dropsReply], async () => ({ result: {} }))(ctx());
    expect(reply?.error?.message).toMatch(/lossy returned no reply for tools\/call/);
  });

  it('gives notifications undefined whatever the handlers return', async () => {
    const run = compose([], async () => ({ result: {} }));
    expect(await run(ctx('notification'))).toBeUndefined();
  });

  it('runs each fork through the rest of the chain on its own copy of the context', async () => {
    const seen: string[] = [];
    const forked = new Map<Context, Context>();
    const fanOut: Middleware = async function fanOut(c, next) {
      const replies = await Promise.all(c.upstreams.map((upstream) => next({ upstream })));
      expect(c.upstream).toBeUndefined();
      return { result: { from: replies.map((r) => r?.result?.from) } };
    };
    const inner: Middleware = async function inner(c, next) {
      seen.push(`inner:${c.upstream}`);
      return next();
    };
    const run = compose(
      [fanOut, inner],
      async (c) => ({ result: { from: c.upstream } }),
      (parent, child) => forked.set(child, parent),
    );
    const root = ctx();
    expect(await run(root)).toEqual({ result: { from: ['a', 'b'] } });
    expect(seen).toEqual(['inner:a', 'inner:b']);
    expect([...forked.values()]).toEqual([root, root]);
  });

  it('still refuses a second plain next() after forks', async () => {
    const forkThenTwice: Middleware = async function forkThenTwice(_c, next) {
      await next({ upstream: 'a' });
      await next();
      return next();
    };
    await expect(compose([forkThenTwice], async () => ({ result: {} }))(ctx())).rejects.toThrow(/forkThenTwice\d* called next\(\) more than once/);
  });
});
