import { describe, expect, it } from 'vitest';
import { silentLogger, type CloseHook, type Context, type Fork, type Reply } from '@mcproxy/core';
import { aggregate } from '../index.js';

/** A legacy session whose close hooks the test runs itself. */
function legacySession(id: string) {
  const hooks: CloseHook[] = [];
  return {
    id,
    era: 'legacy' as 'legacy' | 'modern',
    state: new Map(),
    client: undefined,
    hooks,
    onClose: (h: CloseHook) => {
      hooks.push(h);
      return () => undefined;
    },
  };
}

const ctxOf = (session: ReturnType<typeof legacySession>, method: string, params: Record<string, unknown>) =>
  ({
    kind: 'request',
    direction: 'upstream',
    session,
    client: { era: 'legacy', protocolVersion: '2025-11-25', capabilities: {}, info: {} },
    upstream: undefined,
    upstreams: ['a', 'b'],
    signal: new AbortController().signal,
    log: silentLogger,
    message: { jsonrpc: '2.0', method, params },
  }) as unknown as Context;

describe('a 2025-era session that ends', () => {
  it('has its unfinished tasks cancelled upstream, with their own ids; finished and forgotten ones are left alone', async () => {
    const mw = await aggregate({}, { log: silentLogger });
    const session = legacySession('S');
    const sent: Array<[string | undefined, string, unknown]> = [];
    let made = 0;
    const upstream = async (fork?: Fork): Promise<Reply> => {
      const method = fork?.message?.method ?? '';
      sent.push([fork?.upstream, method, (fork?.message?.params as { taskId?: unknown } | undefined)?.taskId]);
      if (method === 'tools/list') return { result: { tools: [{ name: 'slow' }] } };
      if (method === 'tools/call') return { result: { task: { taskId: `t${++made}`, status: 'working' } } };
      if (method === 'tasks/get') return { result: { taskId: 't1', status: 'completed' } };
      if (method === 'tasks/result') return { error: { code: -32602, message: 'unknown task' } };
      return { result: {} };
    };
    const call = async (name: string) => ((await mw(ctxOf(session, 'tools/call', { name, task: {} }), upstream))?.result?.task as { taskId: string }).taskId;
    const [t1, t2, t3, t4] = [await call('a__slow'), await call('b__slow'), await call('a__slow'), await call('b__slow')];
    expect(new Set([t1, t2, t3, t4]).size).toBe(4);
    expect(session.hooks).toHaveLength(1);
    // t1 is seen completed; t3's upstream no longer knows it; t2 and t4 are still running.
    await mw(ctxOf(session, 'tasks/get', { taskId: t1 }), upstream);
    await mw(ctxOf(session, 'tasks/result', { taskId: t3 }), upstream);
    sent.length = 0;
    await session.hooks[0]!();
    expect(sent.sort()).toEqual([
      ['b', 'tasks/cancel', 't2'],
      ['b', 'tasks/cancel', 't4'],
    ]);
  });

  it('answers a task of an upstream no longer configured as unknown, and sends it nowhere', async () => {
    const mw = await aggregate({}, { log: silentLogger });
    const session = legacySession('S');
    const upstream = async (fork?: Fork): Promise<Reply> =>
      fork?.message?.method === 'tools/list' ? { result: { tools: [{ name: 'slow' }] } } : { result: { task: { taskId: 't1', status: 'working' } } };
    const made = (await mw(ctxOf(session, 'tools/call', { name: 'b__slow', task: {} }), upstream))?.result?.task as { taskId: string };
    const reached: unknown[] = [];
    const removed = { ...(ctxOf(session, 'tasks/get', { taskId: made.taskId }) as object), upstreams: ['a'] } as unknown as Context;
    const reply = await mw(removed, async (fork?: Fork) => {
      reached.push(fork);
      return { result: {} };
    });
    expect(reply?.error).toEqual({ code: -32602, message: 'Invalid params: unknown taskId' });
    expect(reached).toEqual([]);
  });

  it('registers nothing for a modern request (its task ids are durable handles)', async () => {
    const mw = await aggregate({}, { log: silentLogger });
    const session = { ...legacySession('M'), era: 'modern' as const };
    const ctx = {
      ...(ctxOf(session, 'tools/call', { name: 'a__slow' }) as object),
      client: { era: 'modern', protocolVersion: '2026-07-28', capabilities: {}, info: {} },
    } as Context;
    const answers: Record<string, Reply['result']> = {
      'server/discover': { resultType: 'complete', supportedVersions: ['2026-07-28'], capabilities: { tools: {} } },
      'tools/list': { resultType: 'complete', tools: [{ name: 'slow' }] },
      'tools/call': { resultType: 'task', taskId: 'x', status: 'working' },
    };
    const reply = await mw(ctx, async (fork?: Fork) => ({ result: answers[fork?.message?.method ?? ''] ?? {} }));
    expect(reply?.result?.taskId).toMatch(/^mcpx1\./);
    expect(session.hooks).toHaveLength(0);
  });
});
