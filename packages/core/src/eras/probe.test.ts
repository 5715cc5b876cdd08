import { describe, expect, it } from 'vitest';
import { harness, idOf, waitFor } from '../../test/harness.js';

describe('Proxy.probe', () => {
  it('opens and initializes the link, pings past the chain, and times out when the upstream keeps quiet', async () => {
    const seen: string[] = [];
    const h = await harness({
      middleware: [
        async (ctx, next) => {
          seen.push(ctx.message.method);
          return next();
        },
      ],
    });
    const first = h.proxy.probe('up', 1000);
    const up = await waitFor(() => h.upstreams[0]);
    const hello = await up.method('initialize');
    expect(hello.message).toMatchObject({ params: { clientInfo: { name: 'mcproxy-probe' } } });
    await up.send({
      jsonrpc: '2.0',
      id: idOf(hello.message),
      result: { protocolVersion: '2025-11-25', capabilities: {}, serverInfo: { name: 'up', version: '1' } },
    });
    const ping = await up.method('ping');
    await up.send({ jsonrpc: '2.0', id: idOf(ping.message), result: {} });
    await expect(first).resolves.toMatchObject({ ok: true, era: 'legacy', latencyMs: expect.any(Number) });
    expect(seen).toEqual([]);
    // The probe's own session is not a client's: limits.sessions does not count it.
    expect(h.proxy.heldSessions()).toBe(0);
    expect(h.proxy.health('up')?.state).toBe('up');

    await expect(h.proxy.probe('up', 50)).resolves.toMatchObject({ ok: false, error: 'upstream "up" did not answer ping within 50 ms' });
    expect(h.connects).toBe(1);
    await h.proxy.close();
  });

  it('says so when the upstream cannot be reached, and refuses a name that is not an upstream', async () => {
    const h = await harness({
      extra: {
        upstreams: [
          {
            name: 'down',
            mode: 'shared',
            connect: () => Promise.reject(new Error('connection refused')),
          },
        ],
      },
    });
    await expect(h.proxy.probe('down', 200)).resolves.toMatchObject({ ok: false, error: expect.stringContaining('connection refused') });
    await expect(h.proxy.probe('nope')).rejects.toThrow(/no upstream is named "nope"/);
    await h.proxy.close();
  });
});

describe('Proxy.probe, on an upstream that never opens', () => {
  it('gives up after its deadline instead of waiting for the connect', async () => {
    let fail: (err: Error) => void = () => {};
    const connect = () => new Promise<never>((_, reject) => (fail = reject));
    const h = await harness({ extra: { upstreams: [{ name: 'stuck', mode: 'shared', connect }] } });
    await expect(h.proxy.probe('stuck', 30)).resolves.toMatchObject({ ok: false, error: 'upstream "stuck" did not open within 30 ms' });
    // The connect fails after all (closing would not wait for it: see close-pending.test.ts).
    fail(new Error('gave up'));
    await h.proxy.close();
  });
});
