import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { callSettled, closeClients } from '../kit/clients.js';
import { childrenOf, eventually, fdCount, hostileStdio, rssMb, startProxy, stopAll } from '../kit/proxy-process.js';

/** Growth allowed over the churn: not zero (caches, JIT, the allocator keeps pages), but far below a leak's. */
const FD_SLACK = 16;
const RSS_GROWTH_MB = 80;
const ROUNDS = 40;

afterEach(async () => {
  await closeClients();
  await stopAll();
});

/** One client session: open, call, then DELETE (polite) or simply vanish. */
async function oneSession(url: string, polite: boolean): Promise<void> {
  const transport = new StreamableHTTPClientTransport(new URL(url));
  const client = new Client({ name: 'churn', version: '1' });
  await client.connect(transport);
  const r = await callSettled(client, 'echo', { text: 'churn' });
  expect(r.text).toBe('churn');
  if (polite) await transport.terminateSession();
  await client.close();
}

describe('fault: session churn leaks nothing', () => {
  it(`${ROUNDS} sessions that open, call and DELETE leave no children, fds or memory behind`, async () => {
    const proxy = await startProxy({ serve: { http: { port: 0 } }, upstreams: { per: hostileStdio({ sessionMode: 'per-session' }) } });
    for (let i = 0; i < 5; i++) await oneSession(proxy.url!, true);
    await eventually(() => childrenOf(proxy.pid).length <= 1, 10_000);
    const base = { fds: fdCount(proxy.pid), rss: rssMb(proxy.pid), children: childrenOf(proxy.pid).length };
    for (let i = 0; i < ROUNDS; i++) await oneSession(proxy.url!, true);
    expect(
      await eventually(() => childrenOf(proxy.pid).length <= base.children, 15_000),
      `children: ${childrenOf(proxy.pid).length}, at start ${base.children}`,
    ).toBe(true);
    expect(await eventually(() => fdCount(proxy.pid) <= base.fds + FD_SLACK, 10_000), `fds: ${fdCount(proxy.pid)}, at start ${base.fds}`).toBe(true);
    expect(rssMb(proxy.pid) - base.rss).toBeLessThan(RSS_GROWTH_MB);
    expect(proxy.alive()).toBe(true);
  });

  it('sessions that vanish without DELETE are expired after sessionIdleMs, with their children', async () => {
    const proxy = await startProxy({
      serve: { http: { port: 0 } },
      upstreams: { per: hostileStdio({ sessionMode: 'per-session' }) },
      limits: { sessionIdleMs: 1000 },
    });
    const fds = fdCount(proxy.pid);
    for (let i = 0; i < 10; i++) await oneSession(proxy.url!, false);
    expect(childrenOf(proxy.pid).length).toBeGreaterThan(0);
    expect(await eventually(() => childrenOf(proxy.pid).length === 0, 20_000), `children left: ${childrenOf(proxy.pid).length}`).toBe(true);
    expect(await eventually(() => fdCount(proxy.pid) <= fds + FD_SLACK, 10_000), `fds: ${fdCount(proxy.pid)}, at start ${fds}`).toBe(true);
  });
});
