import { afterEach, describe, expect, it } from 'vitest';
import { createChannelPair, createProxy, HOPS_META_KEY, hopsOf, ProxyErrorCode, type Proxy, type Request, type Response } from '../index.js';
import { Wire } from '../../test/wire.js';

const proxies: Proxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

/** An upstream spec whose links are sessions accepted by `target()`: one proxy in front of another. */
const into = (name: string, target: () => Proxy) => ({
  name,
  mode: 'per-session' as const,
  async connect() {
    const [ours, theirs] = createChannelPair();
    await target().accept(theirs);
    return ours;
  },
});

const hello = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } };

describe('hop markers', () => {
  it('refuses a loop between two proxies at once, naming the path', async () => {
    let b: Proxy | undefined;
    const a = createProxy({ id: 'A', upstreams: [into('b', () => b as Proxy)] });
    b = createProxy({ id: 'B', upstreams: [into('a', () => a)] });
    proxies.push(a, b);
    const [client, end] = createChannelPair();
    await a.accept(end);
    const wire = new Wire(client);
    await client.start();
    await client.send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: hello });
    const { message } = await wire.next((m) => 'id' in m && m.id === 0);
    expect((message as Response).error).toMatchObject({ code: ProxyErrorCode.LoopDetected, message: expect.stringContaining('A → B → A') });
  });

  it('adds its id to what it forwards and refuses more hops than maxHops', async () => {
    const [up, upEnd] = createChannelPair();
    const upstream = new Wire(up);
    await up.start();
    const proxy = createProxy({ id: 'P', maxHops: 2, upstreams: [{ name: 'u', mode: 'shared', connect: async () => upEnd }] });
    proxies.push(proxy);
    const [client, end] = createChannelPair();
    await proxy.accept(end);
    const wire = new Wire(client);
    await client.start();
    await client.send({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: { [HOPS_META_KEY]: ['X'] } } });
    const { message } = await upstream.method('tools/list');
    expect(hopsOf((message as Request).params)).toEqual(['X', 'P']);
    await client.send({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: { _meta: { [HOPS_META_KEY]: ['X', 'Y'] } } });
    const refused = await wire.next((m) => 'id' in m && m.id === 2);
    expect((refused.message as Response).error?.code).toBe(ProxyErrorCode.TooManyHops);
  });
});
