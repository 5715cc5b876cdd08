import { afterEach, describe, expect, it } from 'vitest';
import type { Middleware } from '../index.js';
import { harness, isMethod, waitFor, type Harness } from '../../test/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.proxy.close();
});

/** A middleware that holds `tools/call` until the test lets it go. */
function gate(): { hold: Middleware; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const hold: Middleware = async function hold(ctx, next) {
    if (ctx.kind === 'request' && ctx.message.method === 'tools/call') await opened;
    return next();
  };
  return { hold, open };
}

describe('a request that reaches forward after its session closed', () => {
  for (const mode of ['shared', 'per-session'] as const) {
    it(`leaves nothing on a ${mode} link that would keep the closed session`, async () => {
      const { hold, open } = gate();
      h = await harness({ mode, middleware: [hold] });
      const client = await h.ready();
      const session = [...h.proxy.sessions][0]!;
      const sharedLink = mode === 'shared' ? await h.proxy.linkFor('up', session) : undefined;
      await client.send({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'x', arguments: {} } });
      await waitFor(() => (session.peer.isPending(5) ? true : undefined));
      await session.peer.close('the client went away');
      await waitFor(() => (h.proxy.sessions.size === 0 ? true : undefined));
      const connects = h.connects;

      open();
      await new Promise((resolve) => setTimeout(resolve, 20));

      // No link opened for a session that is gone (nobody would close it), none kept for it.
      expect(h.connects).toBe(connects);
      if (mode !== 'shared') expect(h.proxy.linkFor('up', session)).toBeUndefined();
      if (sharedLink !== undefined) expect(sharedLink.sessions.has(session)).toBe(false);
      for (const up of h.upstreams) expect(up.received.some((r) => isMethod(r.message, 'tools/call'))).toBe(false);
    });
  }
});
