import { afterEach, describe, expect, it } from 'vitest';
import { createChannelPair, createProxy, NotDeliveredError, ProxyErrorCode, type Channel, type Logger, type Message } from '../index.js';
import { harness, idOf, isMethod, waitFor, type Harness } from '../../test/harness.js';
import { Wire, wirePair, tick } from '../../test/wire.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.proxy.close();
  h = undefined;
});

const call = (id: number | string, name = 'work'): unknown => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name } });
const sampling = (id: number): unknown => ({ jsonrpc: '2.0', id, method: 'sampling/createMessage', params: { messages: [], maxTokens: 1 } });
const errorOf = (m: Message): { code: number; message: string; data?: Record<string, unknown> } =>
  (m as { error: { code: number; message: string; data?: Record<string, unknown> } }).error;

describe("a shared link never lets one session see another's traffic", () => {
  it('refuses a request it cannot attribute while two sessions have calls in flight, and drops their logs', async () => {
    h = await harness({ mode: 'shared' });
    const [a, b] = [await h.ready(), await h.ready()];
    const up = h.upstreams[0]!;
    await a.send(call(1));
    await b.send(call(1));
    await waitFor(() => (up.received.filter((r) => isMethod(r.message, 'tools/call')).length === 2 ? true : undefined));
    await up.send(sampling(900));
    await up.send({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'secret of A' } });
    const refused = await up.response(900);
    expect(errorOf(refused.message).code).toBe(ProxyErrorCode.Unattributable);
    expect(errorOf(refused.message).message).toMatch(/per-session/);
    await tick();
    for (const c of [a, b]) {
      expect(c.received.some((r) => isMethod(r.message, 'sampling/createMessage'))).toBe(false);
      expect(c.received.some((r) => isMethod(r.message, 'notifications/message'))).toBe(false);
    }
  });

  it('sends it to the one session whose calls are in flight, and only there', async () => {
    h = await harness({ mode: 'shared' });
    const [a, b] = [await h.ready(), await h.ready()];
    const up = h.upstreams[0]!;
    await a.send(call(7));
    await up.method('tools/call');
    await up.send(sampling(901));
    await up.send({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'for A' } });
    const asked = await a.method('sampling/createMessage');
    await a.send({ jsonrpc: '2.0', id: idOf(asked.message), result: { role: 'assistant', content: { type: 'text', text: 'hi' }, model: 'm' } });
    const answer = await up.response(901);
    expect('result' in answer.message).toBe(true);
    await a.method('notifications/message');
    expect(b.received.some((r) => isMethod(r.message, 'sampling/createMessage') || isMethod(r.message, 'notifications/message'))).toBe(false);
  });

  it('tells every session a list changed when another replica says so, through the chain, as if the upstream had', async () => {
    h = await harness({ mode: 'shared' });
    const [a, b] = [await h.ready(), await h.ready()];
    expect(await h.proxy.announce('up', ['notifications/prompts/list_changed'])).toBe(2);
    await a.method('notifications/prompts/list_changed');
    await b.method('notifications/prompts/list_changed');
  });

  it('still tells every session that a list changed', async () => {
    h = await harness({ mode: 'shared' });
    const [a, b] = [await h.ready(), await h.ready()];
    await h.upstreams[0]!.send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
    await a.method('notifications/tools/list_changed');
    await b.method('notifications/tools/list_changed');
  });
});

describe('supervision', () => {
  it('backs off an upstream that keeps dying, failing fast with why and when it is tried again', async () => {
    h = await harness({ mode: 'shared', extra: { supervision: { initialDelayMs: 60_000, maxDelayMs: 60_000 } } });
    const client = await h.ready();
    const die = (): void => {
      const near = h!.upstreams.at(-1)!.channel as Channel & { peer?: Channel };
      (near.peer as Channel).onclose?.({ reason: 'upstream "up" exited with code 3', data: { exitCode: 3, stderr: 'boom' } });
    };
    await client.send(call(1));
    await h.upstreams[0]!.method('tools/call');
    die();
    const first = errorOf((await client.response(1)).message);
    expect(first.code).toBe(ProxyErrorCode.UpstreamClosed);
    expect(first.message).toBe('upstream "up" closed before answering tools/call: exited with code 3');
    expect(first.data).toMatchObject({ upstream: 'up', exitCode: 3, stderr: 'boom' });
    // One failure after a healthy spell: the next request opens the upstream again at once.
    await client.send(call(2));
    await waitFor(() => (h!.upstreams.length === 2 ? true : undefined));
    await waitFor(() => {
      const up = h!.upstreams[1]!;
      const init = up.received.find((r) => isMethod(r.message, 'initialize'));
      if (init === undefined) return undefined;
      void up.send({
        jsonrpc: '2.0',
        id: idOf(init.message),
        result: { protocolVersion: '2025-11-25', capabilities: {}, serverInfo: { name: 'up', version: '1' } },
      });
      return true;
    });
    await h.upstreams[1]!.method('tools/call');
    die();
    expect(errorOf((await client.response(2)).message).data).toMatchObject({ exitCode: 3 });
    // A second failure in a row: backed off, and nothing is started.
    await client.send(call(3));
    const fast = errorOf((await client.response(3)).message);
    expect(fast.code).toBe(ProxyErrorCode.UpstreamUnavailable);
    expect(fast.message).toMatch(/^upstream "up" is unavailable: exited with code 3; it is tried again in \d/);
    expect(fast.data).toMatchObject({ upstream: 'up', exitCode: 3, failures: 2 });
    expect(fast.data?.retryAt).toBeGreaterThan(Date.now());
    expect(h.connects).toBe(2);
    expect(h.proxy.health('up')).toMatchObject({ state: 'backing-off', restarts: 2 });
  });
});

/** A proxy whose upstream links are made by `make`, each a raw wire on the far end. */
function proxyWith(make: (near: Channel, n: number) => Channel) {
  const wires: Wire[] = [];
  const proxy = createProxy({
    upstreams: [
      {
        name: 'up',
        mode: 'shared',
        connect: async () => {
          const [near, wire] = await wirePair();
          wires.push(wire);
          return make(near, wires.length);
        },
      },
    ],
  });
  return { proxy, wires };
}

async function clientOf(proxy: ReturnType<typeof createProxy>): Promise<Wire> {
  const [near, far] = createChannelPair();
  const wire = new Wire(far);
  await far.start();
  await proxy.accept(near);
  return wire;
}

describe('a request that never reached the upstream', () => {
  it('is sent once more on a fresh link, so the call succeeds', async () => {
    const { proxy, wires } = proxyWith((near, n) => {
      if (n > 1) return near;
      const send = near.send.bind(near);
      near.send = async (m, o) => {
        if ('method' in m && m.method === 'tools/call') {
          void near.close();
          throw new NotDeliveredError('the server forgot the session (HTTP 404)', { httpStatus: 404 });
        }
        return send(m, o);
      };
      return near;
    });
    try {
      const client = await clientOf(proxy);
      await client.send(call(1));
      await waitFor(() => wires[1]);
      const sent = await wires[1]!.method('tools/call');
      await wires[1]!.send({ jsonrpc: '2.0', id: idOf(sent.message), result: { content: [] } });
      const answer = await client.response(1);
      expect(answer.message).toMatchObject({ result: { content: [] } });
      expect(wires.length).toBe(2);
    } finally {
      await proxy.close();
    }
  });

  it('is not confused with one that was sent and then cut: that is "closed before answering"', async () => {
    const { proxy, wires } = proxyWith((near) => {
      near.send = async () => {
        throw new Error('socket hang up');
      };
      return near;
    });
    try {
      const client = await clientOf(proxy);
      await client.send(call(1));
      const error = errorOf((await client.response(1)).message);
      expect(error.code).toBe(ProxyErrorCode.UpstreamClosed);
      expect(error.message).toContain('closed before answering tools/call: socket hang up');
      expect(wires.length).toBe(1);
    } finally {
      await proxy.close();
    }
  });
});

describe('limits kept by core', () => {
  it('refuses a request past requestsPerSession, naming the limit', async () => {
    h = await harness({ extra: { limits: { requestsPerSession: 2 } } });
    const client = await h.ready();
    for (const id of [1, 2, 3]) await client.send(call(id));
    const refused = errorOf((await client.response(3)).message);
    expect(refused.code).toBe(ProxyErrorCode.LimitExceeded);
    expect(refused.data).toMatchObject({ limit: 'requestsPerSession', value: 2 });
    expect(h.proxy.limitReporter.count('requestsPerSession')).toBe(1);
    // The others still reach the upstream, and room frees up when they are answered.
    const up = h.upstreams[0]!;
    const first = await up.method('tools/call');
    await up.send({ jsonrpc: '2.0', id: idOf(first.message), result: {} });
    await client.response(1);
    await client.send(call(4));
    await waitFor(() => (up.received.filter((r) => isMethod(r.message, 'tools/call')).length === 3 ? true : undefined));
  });

  it('opens no more per-session links than maxLinks', async () => {
    const proxy = createProxy({
      upstreams: [{ name: 'kids', mode: 'per-session', maxLinks: 1, connect: async () => (await wirePair())[0] }],
    });
    try {
      const a = await clientOf(proxy);
      const b = await clientOf(proxy);
      await a.send(call(1));
      await b.send(call(1));
      const refused = errorOf((await b.response(1)).message);
      expect(refused.code).toBe(ProxyErrorCode.LimitExceeded);
      expect(refused.data).toMatchObject({ limit: 'perSessionChildren', value: 1, upstream: 'kids' });
      await a.channel.close();
      await waitFor(() => (proxy.sessions.size === 1 ? true : undefined));
      await b.send(call(2));
      await tick();
      expect(b.received.some((r) => !('method' in r.message) && r.message.id === 2 && 'error' in r.message)).toBe(false);
    } finally {
      await proxy.close();
    }
  });
});

describe('bounded logs', () => {
  it('writes a bounded line for a request with a huge hop list', async () => {
    const lines: string[] = [];
    const log: Logger = {
      debug: () => {},
      info: () => {},
      error: () => {},
      warn: (obj, msg) => lines.push(JSON.stringify({ ...obj, msg })),
      child: () => log,
    };
    const proxy = createProxy({ id: 'me', upstreams: [{ name: 'up', mode: 'shared', connect: async () => (await wirePair())[0] }], log });
    try {
      const client = await clientOf(proxy);
      const hops = [...Array.from({ length: 10_000 }, (_, i) => `proxy-${i}-${'x'.repeat(300)}`), 'me'];
      await client.send({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: { 'mcproxy/hops': hops } } });
      const answer = errorOf((await client.response(1)).message);
      expect(answer.code).toBe(ProxyErrorCode.LoopDetected);
      expect(answer.message.length).toBeLessThan(2000);
      expect(lines.length).toBe(1);
      expect(lines[0]!.length).toBeLessThan(4096);
    } finally {
      await proxy.close();
    }
  });
});
