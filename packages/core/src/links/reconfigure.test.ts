import { afterEach, describe, expect, it } from 'vitest';
import type { Channel, Message } from '../index.js';
import { harness, idOf, isMethod, waitFor, type Harness } from '../../test/harness.js';
import { wirePair, type Wire } from '../../test/wire.js';

const call = (id: string | number, name: string): Record<string, unknown> => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } });
const textOf = (m: Message): unknown => (m as unknown as { result?: { content?: Array<{ text: string }> } }).result?.content?.[0]?.text;
const helloBack = (up: Wire, m: Message) =>
  up.send({ jsonrpc: '2.0', id: idOf(m), result: { protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'new', version: '1' } } });

/** A spec named `name` whose links are recorded in `wires`, each with a flag set when the proxy closes it. */
function spec(name: string, wires: Array<Wire & { closed?: boolean }>) {
  return {
    name,
    mode: 'shared' as const,
    connect: async (): Promise<Channel> => {
      const [near, wire] = await wirePair();
      const w = wire as Wire & { closed?: boolean };
      w.channel.onclose = () => {
        w.closed = true;
      };
      wires.push(w);
      return near;
    },
  };
}

let h: Harness;
afterEach(async () => {
  await h?.proxy.close();
});

describe('reconfigure', () => {
  it('replaces a changed upstream while a call is in flight: the call finishes on the old link, the session hears list_changed, new calls go to the new one', async () => {
    h = await harness({ mode: 'shared' });
    const client = await h.ready();
    const old = h.upstreams[0]!;
    let oldClosed = false;
    old.channel.onclose = () => {
      oldClosed = true;
    };
    await client.send(call(1, 'slow'));
    const inFlight = await old.method('tools/call');

    const fresh: Array<Wire & { closed?: boolean }> = [];
    const done = await h.proxy.reconfigure({ upstreams: [spec('up', fresh)], changed: ['up'] });
    expect(done).toMatchObject({ added: [], removed: [], changed: ['up'], notified: 1 });
    for (const method of ['notifications/tools/list_changed', 'notifications/prompts/list_changed', 'notifications/resources/list_changed'])
      await client.method(method);
    expect(oldClosed).toBe(false);

    // The old link still answers the call it holds, and closes only then.
    await old.send({ jsonrpc: '2.0', id: idOf(inFlight.message), result: { content: [{ type: 'text', text: 'old answer' }] } });
    expect(textOf((await client.response(1)).message)).toBe('old answer');
    await done.drained;
    expect(oldClosed).toBe(true);

    // A new call opens the new upstream, initialized from what the session said.
    await client.send(call(2, 'fast'));
    const up = await waitFor(() => fresh[0]);
    await helloBack(up, (await up.method('initialize')).message);
    const seen = await up.method('tools/call');
    await up.send({ jsonrpc: '2.0', id: idOf(seen.message), result: { content: [{ type: 'text', text: 'new answer' }] } });
    expect(textOf((await client.response(2)).message)).toBe('new answer');
  });

  it('adds and removes upstreams: names follow, an idle removed link closes at once, an unchanged one is kept', async () => {
    h = await harness({ mode: 'shared' });
    const client = await h.ready();
    const old = h.upstreams[0]!;
    let oldClosed = false;
    old.channel.onclose = () => {
      oldClosed = true;
    };
    const added: Array<Wire & { closed?: boolean }> = [];
    const done = await h.proxy.reconfigure({ upstreams: [spec('other', added)] });
    expect(done).toMatchObject({ added: ['other'], removed: ['up'], changed: [] });
    expect(h.proxy.names).toEqual(['other']);
    await done.drained;
    expect(oldClosed).toBe(true);
    await client.method('notifications/tools/list_changed');

    const again = await h.proxy.reconfigure({ upstreams: [spec('other', added)] });
    expect(again).toMatchObject({ added: [], removed: [], changed: [] });
    expect(added).toHaveLength(0);
    expect(h.connects).toBe(1);
    expect(client.received.some((r) => isMethod(r.message, 'initialize'))).toBe(false);
  });

  it('refuses deadlines that cannot work and keeps the running ones', async () => {
    h = await harness();
    const before = h.proxy.timeouts;
    await expect(h.proxy.reconfigure({ upstreams: [spec('up', [])], timeouts: { requestMs: 10, maxMs: 5 } })).rejects.toThrow(/shorter/);
    expect(h.proxy.timeouts).toBe(before);
    expect(h.proxy.names).toEqual(['up']);
  });
});
