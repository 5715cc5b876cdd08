import { afterEach, describe, expect, it } from 'vitest';
import type { Channel, LinkMode, Middleware } from '../index.js';
import { harness, idOf, isMethod, waitFor, type Harness } from '../../test/harness.js';
import { tick, type Wire } from '../../test/wire.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.proxy.close();
  h = undefined;
});

const TOOLS = 'notifications/tools/list_changed';
const PROMPTS = 'notifications/prompts/list_changed';
const RESOURCES = 'notifications/resources/list_changed';
/** Declares listChanged for tools and resources, not for prompts. */
const CAPS = { tools: { listChanged: true }, prompts: {}, resources: { listChanged: true } };

/** Every list_changed that walked the chain toward a session, by session id: seen even for a session that has closed. */
function recorder(): { seen: Array<{ session: string; method: string; upstream?: string }>; mw: Middleware } {
  const seen: Array<{ session: string; method: string; upstream?: string }> = [];
  const mw: Middleware = async function record(ctx, next) {
    if (ctx.direction === 'downstream' && ctx.message.method.endsWith('/list_changed'))
      seen.push({ session: ctx.session.id, method: ctx.message.method, upstream: ctx.upstream });
    return next();
  };
  return { seen, mw };
}

const answered = new WeakSet<object>();

/** Answers every initialize the upstreams received and not yet answered, declaring `caps`. */
function answerInits(caps: Record<string, unknown>): void {
  for (const up of h!.upstreams) {
    for (const r of up.received) {
      if (!isMethod(r.message, 'initialize') || answered.has(r.message)) continue;
      answered.add(r.message);
      void up.send({
        jsonrpc: '2.0',
        id: idOf(r.message),
        result: { protocolVersion: '2025-11-25', capabilities: caps, serverInfo: { name: 'up', version: '1' } },
      });
    }
  }
}

async function start(mode: LinkMode): Promise<ReturnType<typeof recorder>> {
  const rec = recorder();
  h = await harness({ mode, middleware: [rec.mw], extra: { supervision: { initialDelayMs: 1, maxDelayMs: 1 } } });
  return rec;
}

/** A client that has done the handshake; the upstream declares `caps`. */
async function ready(caps: Record<string, unknown> = CAPS): Promise<Wire> {
  const c = await h!.client();
  await c.send({
    jsonrpc: '2.0',
    id: 'init',
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
  });
  await waitFor(() => {
    answerInits(caps);
    return c.received.some((r) => !('method' in r.message) && r.message.id === 'init') ? true : undefined;
  });
  await c.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  return c;
}

/** The upstream behind `wire` goes away on its own, as a child that exits does. */
function die(wire: Wire): void {
  const near = (wire.channel as Channel & { peer: Channel }).peer;
  near.onclose?.({ reason: 'upstream "up" exited with code 3', data: { exitCode: 3 } });
}

const count = (c: Wire, method: string): number => c.received.filter((r) => isMethod(r.message, method)).length;

/** Sends a call that makes the proxy open a new link; returns that link's wire once it asks to initialize. */
async function reopen(c: Wire, id: number): Promise<Wire> {
  const links = h!.upstreams.length;
  await c.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'work' } });
  return waitFor(() =>
    h!.upstreams.length > links && h!.upstreams.at(-1)!.received.some((r) => isMethod(r.message, 'initialize')) ? h!.upstreams.at(-1) : undefined,
  );
}

describe('an upstream that goes down', () => {
  it('tells every open session on its link that the lists it declared listChanged may have changed', async () => {
    const rec = await start('shared');
    const [a, b] = [await ready(), await ready()];
    die(h!.upstreams[0]!);
    for (const c of [a, b]) {
      await c.method(TOOLS);
      await c.method(RESOURCES);
    }
    await tick();
    for (const c of [a, b]) {
      expect(count(c, TOOLS)).toBe(1);
      expect(count(c, PROMPTS)).toBe(0);
    }
    expect(rec.seen.every((s) => s.upstream === 'up')).toBe(true);
  });

  it('says nothing when the proxy closes its links itself', async () => {
    const rec = await start('shared');
    const a = await ready();
    die(h!.upstreams[0]!);
    await a.method(TOOLS);
    const before = rec.seen.length;
    await reopen(a, 1);
    answerInits(CAPS);
    await a.method('notifications/tools/list_changed');
    await h!.proxy.close();
    await tick();
    expect(rec.seen.length).toBe(before + 2);
  });

  it('says nothing when a per-session link closes because its session ended', async () => {
    const rec = await start('per-session');
    const [a, b] = [await ready(), await ready()];
    die(h!.upstreams[0]!);
    await a.method(TOOLS);
    await b.channel.close();
    await waitFor(() => (h!.proxy.sessions.size === 1 ? true : undefined));
    await tick();
    expect(rec.seen.map((s) => s.method)).toEqual([TOOLS, RESOURCES]);
    expect(count(b, TOOLS)).toBe(0);
  });
});

describe('an upstream that comes back', () => {
  it('tells the sessions that heard it went down, once, when a new link has initialized', async () => {
    await start('shared');
    const [a, b] = [await ready(), await ready()];
    die(h!.upstreams[0]!);
    await a.method(TOOLS);
    await b.method(TOOLS);
    const next = await reopen(a, 1);
    await tick();
    // Spawned is not up: nothing until it has answered initialize.
    expect(count(a, TOOLS)).toBe(1);
    answerInits({ tools: { listChanged: true } });
    await a.method(TOOLS);
    await b.method(TOOLS);
    await next.method('tools/call');
    await b.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'work' } });
    await waitFor(() => (next.received.filter((r) => isMethod(r.message, 'tools/call')).length === 2 ? true : undefined));
    await tick();
    expect([count(a, TOOLS), count(b, TOOLS)]).toEqual([2, 2]);
    // The new upstream declares no resources listChanged: nothing is said of them.
    expect([count(a, RESOURCES), count(b, RESOURCES)]).toEqual([1, 1]);
  });

  it('tells nothing to a session that closed meanwhile', async () => {
    const rec = await start('shared');
    const [a, b] = [await ready(), await ready()];
    const bId = [...h!.proxy.sessions].at(-1)!.id;
    die(h!.upstreams[0]!);
    await a.method(TOOLS);
    await b.method(TOOLS);
    await b.channel.close();
    await waitFor(() => (h!.proxy.sessions.size === 1 ? true : undefined));
    await reopen(a, 1);
    answerInits(CAPS);
    await a.method(TOOLS);
    await tick();
    expect(count(a, TOOLS)).toBe(2);
    expect(rec.seen.filter((s) => s.session === bId && s.method === TOOLS).length).toBe(1);
  });

  it('sends no "up" for a link that never initializes, and no "down" for its death', async () => {
    await start('shared');
    const a = await ready();
    die(h!.upstreams[0]!);
    await a.method(TOOLS);
    for (let i = 1; i <= 3; i++) {
      const next = await reopen(a, i);
      die(next);
      await a.response(i);
      await new Promise((r) => setTimeout(r, 5));
    }
    await tick();
    expect(count(a, TOOLS)).toBe(1);
    expect(count(a, RESOURCES)).toBe(1);
  });
});
