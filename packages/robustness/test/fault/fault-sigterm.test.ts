import { afterEach, describe, expect, it } from 'vitest';
import { callSettled, closeClients, mcpClient } from '../kit/clients.js';
import { childrenOf, eventually, hostileStdio, isAlive, sleep, startProxy, stopAll } from '../kit/proxy-process.js';

afterEach(async () => {
  await closeClients();
  await stopAll();
});

describe('fault: SIGTERM with calls in flight', () => {
  it('answers every call in flight, exits 0, and leaves no child behind', async () => {
    const proxy = await startProxy({ serve: { http: { port: 0 } }, upstreams: { shared: hostileStdio(), per: hostileStdio({ sessionMode: 'per-session' }) } });
    const clients = await Promise.all([mcpClient(proxy.url!), mcpClient(proxy.url!)]);
    // Aggregate prefixes the names both upstreams share.
    const tools = (await clients[0]!.listTools()).tools.map((t) => t.name);
    const slow = tools.filter((t) => /slow$/.test(t));
    const hang = tools.filter((t) => /hang$/.test(t));
    expect(slow.length).toBeGreaterThan(0);
    const calls = clients.flatMap((c) => [
      ...slow.map((name) => callSettled(c, name, { ms: 1500 }, 30_000)),
      ...hang.map((name) => callSettled(c, name, {}, 30_000)),
    ]);
    await sleep(500);
    const children = childrenOf(proxy.pid);
    expect(children.length).toBeGreaterThanOrEqual(2);
    proxy.child.kill('SIGTERM');
    const outcomes = await Promise.all(calls);
    for (const o of outcomes) expect(o.hung, 'a call in flight was never answered').toBeUndefined();
    expect(await proxy.exited).toEqual({ code: 0, signal: null });
    expect(await eventually(() => children.every((pid) => !isAlive(pid)), 10_000), 'an upstream child outlived the proxy').toBe(true);
  });
});
