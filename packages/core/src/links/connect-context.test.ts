import { afterEach, describe, expect, it } from 'vitest';
import { wirePair, type Wire } from '../../test/wire.js';
import { createProxy, META, type ConnectContext, type Message, type Principal, type Proxy } from '../index.js';

const V = '2026-07-28';
const alice: Principal = { id: 'alice', kind: 'jwt', scopes: [], claims: {} };
const bob: Principal = { id: 'bob', kind: 'api-key', scopes: [], claims: {} };

type Any = Record<string, any>;
const modern = (id: number, method: string) => ({
  jsonrpc: '2.0',
  id,
  method,
  params: { _meta: { [META.protocolVersion]: V, [META.clientCapabilities]: {}, [META.clientInfo]: { name: 'c', version: '1' } } },
});

/** An upstream that answers everything as a server of `era` would, and notes whose link each connect was for. */
function upstream(era: 'legacy' | 'modern') {
  const contexts: Array<ConnectContext | undefined> = [];
  /** Whose link (by principal id) each tools/list arrived on, in order. */
  const listedOn: Array<string | undefined> = [];
  const connect = async (context?: ConnectContext) => {
    contexts.push(context);
    const [near, far] = await wirePair();
    far.channel.onmessage = (m: Message) => {
      const msg = m as Any;
      if (msg.id === undefined || msg.method === undefined) return;
      if (msg.method === 'tools/list') listedOn.push(context?.principal?.id);
      const result =
        msg.method === 'initialize'
          ? { protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'up', version: '1' } }
          : msg.method === 'server/discover'
            ? { resultType: 'complete', supportedVersions: [V], capabilities: { tools: {} }, ttlMs: 1000, cacheScope: 'public' }
            : { tools: [], ...(era === 'modern' ? { resultType: 'complete' } : {}) };
      void far.send({ jsonrpc: '2.0', id: msg.id, result });
    };
    return near;
  };
  return { contexts, listedOn, connect };
}

async function client(proxy: Proxy, principal: Principal | undefined): Promise<Wire> {
  const [near, wire] = await wirePair();
  await proxy.accept(near, undefined, { principal });
  return wire;
}

async function initialized(proxy: Proxy, principal: Principal | undefined): Promise<Wire> {
  const c = await client(proxy, principal);
  await c.send({
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } },
  });
  await c.response(0);
  return c;
}

let proxy: Proxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

describe('connect(context): whose link it is', () => {
  it('opens a shared upstream once per principal, each connect told its principal', async () => {
    const up = upstream('legacy');
    proxy = createProxy({ upstreams: [{ name: 'up', mode: 'shared', connect: up.connect }] });
    for (const who of [alice, bob, alice, undefined]) await initialized(proxy, who);
    expect(up.contexts.map((c) => c?.principal?.id)).toEqual(['alice', 'bob', undefined]);
  });

  it("gives a per-session link its session's principal", async () => {
    const up = upstream('legacy');
    proxy = createProxy({ upstreams: [{ name: 'up', mode: 'per-session', connect: up.connect }] });
    await initialized(proxy, bob);
    await initialized(proxy, bob);
    expect(up.contexts.map((c) => c?.principal)).toEqual([bob, bob]);
  });

  it('without perPrincipal, opens one 2026-07-28 link for everyone, for no principal', async () => {
    const up = upstream('modern');
    proxy = createProxy({ upstreams: [{ name: 'up', mode: 'shared', protocol: V, connect: up.connect }] });
    for (const [i, who] of [alice, bob].entries()) {
      const c = await client(proxy, who);
      await c.send(modern(i + 1, 'tools/list'));
      expect((await c.response(i + 1)).message).toHaveProperty('result');
    }
    expect(up.contexts).toEqual([{ principal: undefined }]);
  });

  it('with perPrincipal, opens one 2026-07-28 link per principal, never one principal on another principal’s link', async () => {
    const up = upstream('modern');
    proxy = createProxy({ upstreams: [{ name: 'up', mode: 'shared', protocol: V, perPrincipal: true, connect: up.connect }] });
    for (const [i, who] of [alice, bob, alice].entries()) {
      const c = await client(proxy, who);
      await c.send(modern(i + 1, 'tools/list'));
      expect((await c.response(i + 1)).message).toHaveProperty('result');
    }
    expect(up.contexts.map((c) => c?.principal?.id)).toEqual(['alice', 'bob']);
  });

  it("opens the bridge's links (2026-07-28 clients on a 2025-era upstream) for the request's principal", async () => {
    const up = upstream('legacy');
    proxy = createProxy({ upstreams: [{ name: 'up', mode: 'shared', protocol: '2025-11-25', perPrincipal: true, connect: up.connect }] });
    for (const [i, who] of [alice, bob].entries()) {
      const c = await client(proxy, who);
      await c.send(modern(i + 1, 'tools/list'));
      expect((await c.response(i + 1)).message).toHaveProperty('result');
    }
    // Each request went out on a link opened for its own principal (a spare opened ahead for alice does not serve bob).
    expect(up.listedOn).toEqual(['alice', 'bob']);
  });
});
