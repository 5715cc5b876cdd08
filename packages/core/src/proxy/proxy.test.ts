import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProxyErrorCode, type Message, type Middleware } from '../index.js';
import { harness, idOf, isMethod, waitFor, type Harness } from '../../test/harness.js';

const call = (id: string | number, name = 'echo', meta?: Record<string, unknown>): Record<string, unknown> => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: {}, ...(meta ? { _meta: meta } : {}) },
});
const result = (id: string | number, text: string) => ({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text }] } });
const textOf = (m: Message): unknown => (m as unknown as { result?: { content?: Array<{ text: string }> } }).result?.content?.[0]?.text;

let h: Harness;
afterEach(async () => {
  vi.useRealTimers();
  await h?.proxy.close();
});

describe('correlation', () => {
  it('gives id 0 and "" back as they came, while the upstream sees ids of our own', async () => {
    h = await harness();
    const c = await h.ready();
    const up = h.upstreams[0]!;
    for (const id of [0, '']) {
      await c.send(call(id));
      const seen = await up.method('tools/call');
      expect(idOf(seen.message)).not.toBe(id);
      await up.send(result(idOf(seen.message), `answer ${JSON.stringify(id)}`));
      const back = await c.response(id);
      expect(textOf(back.message)).toBe(`answer ${JSON.stringify(id)}`);
    }
  });

  it('keeps equal ids from two sessions apart on one shared link', async () => {
    h = await harness({ mode: 'shared' });
    const [a, b] = [await h.ready(), await h.ready()];
    expect(h.connects).toBe(1);
    const up = h.upstreams[0]!;
    await a.send(call(7, 'from-a'));
    await b.send(call(7, 'from-b'));
    const first = await up.method('tools/call');
    const second = await up.method('tools/call');
    expect(idOf(first.message)).not.toBe(idOf(second.message));
    // Answer in reverse order: each answer must find its own session.
    for (const seen of [second, first]) {
      const name = (seen.message as unknown as { params: { name: string } }).params.name;
      await up.send(result(idOf(seen.message), `for ${name}`));
    }
    expect(textOf((await a.response(7)).message)).toBe('for from-a');
    expect(textOf((await b.response(7)).message)).toBe('for from-b');
  });

  it('initializes a shared link once and answers later sessions from that', async () => {
    h = await harness({ mode: 'shared' });
    await h.ready({});
    await h.ready({});
    const up = h.upstreams[0]!;
    const inits = up.received.filter((r) => isMethod(r.message, 'initialize'));
    expect(inits).toHaveLength(1);
    // Sampling and elicitation are declared for every session the proxy may route them to; roots stay the client's.
    const declared = (inits[0]!.message as unknown as { params: { capabilities: Record<string, unknown> } }).params.capabilities;
    expect(declared).toMatchObject({ sampling: {}, elicitation: {} });
    expect(declared.roots).toBeUndefined();
    await waitFor(() => up.received.find((r) => isMethod(r.message, 'notifications/initialized')));
    expect(up.received.filter((r) => isMethod(r.message, 'notifications/initialized'))).toHaveLength(1);
  });

  it('opens one link per session in per-session mode and closes it with the session', async () => {
    h = await harness({ mode: 'per-session' });
    const a = await h.ready();
    await h.ready();
    expect(h.connects).toBe(2);
    const closed = new Promise<void>((r) => {
      h.upstreams[0]!.channel.onclose = () => r();
    });
    await a.channel.close();
    await closed;
  });

  it('answers an invalid message with -32600 and the id it could read', async () => {
    h = await harness();
    const c = await h.ready();
    await c.send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: [1, 2] });
    const back = (await c.response(3)).message as unknown as { error: { code: number } };
    expect(back.error.code).toBe(-32600);
  });
});

describe('progress and cancellation', () => {
  it('maps progress tokens both ways and never lets progress trail the answer', async () => {
    h = await harness();
    const c = await h.ready();
    const up = h.upstreams[0]!;
    await c.send(call(1, 'slow', { progressToken: 'mine' }));
    const seen = await up.method('tools/call');
    const token = (seen.message as unknown as { params: { _meta: { progressToken: unknown } } }).params._meta.progressToken;
    expect(token).not.toBe('mine');
    await up.send({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: token, progress: 1, total: 2 } });
    await up.send({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: token, progress: 2, total: 2 } });
    await up.send(result(idOf(seen.message), 'done'));
    await c.response(1);
    const order = c.received.map((r) => r.message).filter((m) => isMethod(m, 'notifications/progress') || ('id' in m && m.id === 1));
    expect(order.map((m) => ('method' in m ? (m.params as { progress: number }).progress : 'answer'))).toEqual([1, 2, 'answer']);
    expect((order[0] as unknown as { params: { progressToken: unknown } }).params.progressToken).toBe('mine');
    // Progress after the answer is dropped, not delivered late.
    await up.send({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: token, progress: 3 } });
    await new Promise((r) => setTimeout(r, 5));
    expect(c.received.filter((r) => isMethod(r.message, 'notifications/progress'))).toHaveLength(2);
  });

  it('rewrites a client cancellation to the link id and drops the late answer', async () => {
    h = await harness();
    const c = await h.ready();
    const up = h.upstreams[0]!;
    await c.send(call(5));
    const seen = await up.method('tools/call');
    await c.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 5, reason: 'user' } });
    const cancel = await up.method('notifications/cancelled');
    expect((cancel.message as unknown as { params: { requestId: unknown } }).params.requestId).toBe(idOf(seen.message));
    await up.send(result(idOf(seen.message), 'too late'));
    await c.send(call(6));
    await up.send(result(idOf((await up.method('tools/call')).message), 'next'));
    await c.response(6);
    expect(c.received.some((r) => !('method' in r.message) && r.message.id === 5)).toBe(false);
  });

  it("aborts the signal a middleware holds, and a fork's, when the client cancels (the signal is made only when read)", async () => {
    const seen: AbortSignal[] = [];
    const holder: Middleware = async (ctx, next) => {
      if (ctx.kind !== 'request' || ctx.message.method !== 'tools/call') return next();
      seen.push(ctx.signal);
      // A copy by spread that names the signal, and a fork: both keep the request's cancellation.
      seen.push({ ...ctx, signal: ctx.signal }.signal);
      return next({ upstream: ctx.upstream });
    };
    const forkSignal: Middleware = async (ctx, next) => {
      if (ctx.kind === 'request' && ctx.message.method === 'tools/call') seen.push(ctx.signal);
      return next();
    };
    h = await harness({ middleware: [holder, forkSignal] });
    const c = await h.ready();
    const up = h.upstreams[0]!;
    await c.send(call(9));
    await up.method('tools/call');
    expect(seen).toHaveLength(3);
    expect(seen.every((s) => s instanceof AbortSignal && !s.aborted)).toBe(true);
    await c.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 9, reason: 'user stopped it' } });
    await up.method('notifications/cancelled');
    expect(seen.map((s) => s.aborted)).toEqual([true, true, true]);
    expect((seen[0]!.reason as Error).message).toBe('user stopped it');
  });

  it('rewrites an upstream cancellation of its own request to the session id', async () => {
    h = await harness();
    const c = await h.ready();
    const up = h.upstreams[0]!;
    await c.send(call(1));
    await up.method('tools/call');
    await up.send({ jsonrpc: '2.0', id: 'srv-1', method: 'sampling/createMessage', params: { messages: [], maxTokens: 1 } });
    const asked = await c.method('sampling/createMessage');
    await up.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'srv-1' } });
    const cancel = await c.method('notifications/cancelled');
    expect((cancel.message as unknown as { params: { requestId: unknown } }).params.requestId).toBe(idOf(asked.message));
  });
});

describe('requests that upstreams start', () => {
  it('go to the session whose request is in flight, and the answer goes back with the upstream id', async () => {
    h = await harness({ mode: 'shared' });
    const [a, b] = [await h.ready(), await h.ready()];
    const up = h.upstreams[0]!;
    await b.send(call(1, 'b-idle'));
    const bCall = await up.method('tools/call');
    await up.send(result(idOf(bCall.message), 'ok'));
    await b.response(1);
    await a.send(call(1, 'a-busy'));
    await up.method('tools/call');
    await up.send({ jsonrpc: '2.0', id: 0, method: 'sampling/createMessage', params: { messages: [], maxTokens: 5 } });
    const asked = await a.method('sampling/createMessage');
    expect(b.received.some((r) => isMethod(r.message, 'sampling/createMessage'))).toBe(false);
    await a.send({ jsonrpc: '2.0', id: idOf(asked.message), result: { role: 'assistant', content: { type: 'text', text: 'hi' }, model: 'm' } });
    const answer = (await up.response(0)).message as unknown as { result: { model: string } };
    expect(answer.result.model).toBe('m');
  });

  it('follow the transport when it says which request a message belongs to', async () => {
    h = await harness({ mode: 'shared' });
    const [a, b] = [await h.ready(), await h.ready()];
    const up = h.upstreams[0]!;
    await a.send(call(1, 'older'));
    const aCall = await up.method('tools/call');
    await b.send(call(1, 'newer'));
    await up.method('tools/call');
    await up.channel.send(
      { jsonrpc: '2.0', id: 'e', method: 'elicitation/create', params: { message: 'ok?', requestedSchema: { type: 'object', properties: {} } } },
      { relatedRequestId: idOf(aCall.message) },
    );
    const asked = await a.method('elicitation/create');
    expect(asked.extra?.relatedRequestId).toBe(1);
    expect(b.received.some((r) => isMethod(r.message, 'elicitation/create'))).toBe(false);
  });

  it('are refused when the session did not declare the capability', async () => {
    h = await harness();
    const c = await h.ready({});
    const up = h.upstreams[0]!;
    await c.send(call(1));
    await up.method('tools/call');
    await up.send({ jsonrpc: '2.0', id: 9, method: 'sampling/createMessage', params: { messages: [], maxTokens: 5 } });
    const answer = (await up.response(9)).message as unknown as { error: { code: number; message: string } };
    expect(answer.error.code).toBe(-32601);
    expect(answer.error.message).toContain('sampling');
  });
});

describe('nothing hangs', () => {
  it('answers three requests at once when the upstream dies, naming it', async () => {
    h = await harness();
    const c = await h.ready();
    const up = h.upstreams[0]!;
    for (const id of [1, 2, 3]) await c.send(call(id));
    for (let i = 0; i < 3; i++) await up.method('tools/call');
    await up.channel.close();
    for (const id of [1, 2, 3]) {
      const m = (await c.response(id)).message as unknown as { error: { code: number; message: string; data: { upstream: string } } };
      expect(m.error.code).toBe(ProxyErrorCode.UpstreamClosed);
      expect(m.error.message).toContain('upstream "up"');
      expect(m.error.data.upstream).toBe('up');
    }
  });

  it('re-opens a dead shared link on the next request and initializes it again', async () => {
    h = await harness();
    const c = await h.ready();
    await h.upstreams[0]!.channel.close();
    await c.send(call(4));
    const fresh = await waitFor(() => h.upstreams[1]);
    const init = await fresh.method('initialize');
    await fresh.send({
      jsonrpc: '2.0',
      id: idOf(init.message),
      result: { protocolVersion: '2025-11-25', capabilities: {}, serverInfo: { name: 'up', version: '2' } },
    });
    const seen = await fresh.method('tools/call');
    await fresh.send(result(idOf(seen.message), 'back'));
    expect(textOf((await c.response(4)).message)).toBe('back');
  });

  it('times out a silent upstream, tells it so, and lets progress extend only up to the hard limit', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    h = await harness({ timeouts: { requestMs: 1000, maxMs: 2500 } });
    const c = await h.ready();
    const up = h.upstreams[0]!;
    await c.send(call(1, 'silent'));
    const silent = await up.method('tools/call');
    await vi.advanceTimersByTimeAsync(1001);
    const timedOut = (await c.response(1)).message as unknown as { error: { code: number } };
    expect(timedOut.error.code).toBe(ProxyErrorCode.RequestTimeout);
    const cancel = await up.method('notifications/cancelled');
    expect((cancel.message as unknown as { params: { requestId: unknown } }).params.requestId).toBe(idOf(silent.message));

    await c.send(call(2, 'chatty', { progressToken: 2 }));
    const chatty = await up.method('tools/call');
    const token = (chatty.message as unknown as { params: { _meta: { progressToken: unknown } } }).params._meta.progressToken;
    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(600);
      await up.send({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: token, progress: i } });
    }
    expect(c.received.some((r) => !('method' in r.message) && r.message.id === 2 && 'error' in r.message)).toBe(true);
    const capped = (await c.response(2)).message as unknown as { error: { code: number; message: string } };
    expect(capped.error.message).toContain('2500 ms');
  });

  it('answers what clients wait for when the proxy shuts down, and cancels it upstream', async () => {
    h = await harness();
    const c = await h.ready();
    const up = h.upstreams[0]!;
    await c.send(call(11));
    await up.method('tools/call');
    await h.proxy.close();
    const m = (await c.response(11)).message as unknown as { error: { code: number; message: string } };
    expect(m.error.code).toBe(ProxyErrorCode.SessionClosed);
    expect(m.error.message).toContain('shutting down');
  });

  it('answers an upstream request with an error when its session closes', async () => {
    h = await harness();
    const c = await h.ready();
    const up = h.upstreams[0]!;
    await c.send(call(1));
    await up.method('tools/call');
    await up.send({ jsonrpc: '2.0', id: 'ask', method: 'roots/list' });
    await c.method('roots/list');
    await c.channel.close();
    const answer = (await up.response('ask')).message as unknown as { error: { code: number } };
    expect(answer.error.code).toBe(ProxyErrorCode.SessionClosed);
    expect(up.received.some((r) => isMethod(r.message, 'notifications/cancelled'))).toBe(true);
  });
});
