import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../index.js';
import { harness, idOf, isMethod, waitFor, type Harness } from '../../test/harness.js';
import type { Wire } from '../../test/wire.js';

/** A small seeded generator, so a failing interleaving can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const responses = (w: Wire, id: string | number): Message[] => w.received.map((r) => r.message).filter((m) => !('method' in m) && m.id === id);

let h: Harness;
afterEach(async () => h?.proxy.close());

describe('under a random interleaving', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`every request gets exactly its own answer, once (seed ${seed})`, async () => {
      const random = rng(seed);
      h = await harness({ mode: 'shared' });
      const clients = await Promise.all([0, 1, 2, 3].map(() => h.ready()));
      const up = h.upstreams[0]!;
      // Each client reuses the same small ids, so ids collide across sessions.
      const sent: Array<{ client: number; id: number; cancelled: boolean }> = [];
      for (let round = 0; round < 3; round++) {
        for (const [c, client] of clients.entries()) {
          const id = round;
          await client.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: `c${c}-r${round}` } });
          sent.push({ client: c, id, cancelled: false });
        }
      }
      const calls = await waitFor(() => {
        const seen = up.received.filter((r) => isMethod(r.message, 'tools/call'));
        return seen.length === sent.length ? seen : undefined;
      });
      expect(new Set(calls.map((r) => idOf(r.message))).size).toBe(sent.length);
      // Cancel some from the client side, then answer all in a random order (some as errors).
      for (const s of sent) {
        if (random() < 0.25) {
          s.cancelled = true;
          await clients[s.client]!.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: s.id } });
        }
      }
      const order = [...calls].sort(() => random() - 0.5);
      for (const r of order) {
        const name = (r.message as unknown as { params: { name: string } }).params.name;
        const reply = random() < 0.3 ? { error: { code: -32000 + 1, message: `err ${name}` } } : { result: { content: [{ type: 'text', text: name }] } };
        await up.send({ jsonrpc: '2.0', id: idOf(r.message), ...reply });
      }
      await waitFor(() => sent.every((s) => s.cancelled || responses(clients[s.client]!, s.id).length > 0) || undefined);
      await new Promise((r) => setTimeout(r, 5));
      for (const s of sent) {
        const got = responses(clients[s.client]!, s.id);
        if (s.cancelled) {
          expect(got).toHaveLength(0);
          continue;
        }
        expect(got).toHaveLength(1);
        const body = JSON.stringify(got[0]);
        expect(body).toContain(`c${s.client}-r${s.id}`);
      }
    });
  }
});

describe('nothing is kept after sessions close', () => {
  it('leaves no session, attachment, request or subscription behind', async () => {
    h = await harness({ mode: 'shared' });
    const clients = await Promise.all(Array.from({ length: 20 }, () => h.ready()));
    const up = h.upstreams[0]!;
    for (const [i, c] of clients.entries()) {
      await c.send({ jsonrpc: '2.0', id: 1, method: 'resources/subscribe', params: { uri: `file:///${i % 3}` } });
      await c.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'slow' } });
    }
    await waitFor(() => (up.received.filter((r) => isMethod(r.message, 'tools/call')).length === clients.length ? true : undefined));
    // Three URIs, so the upstream heard three subscribes for twenty sessions.
    for (const r of up.received.filter((m) => isMethod(m.message, 'resources/subscribe'))) {
      await up.send({ jsonrpc: '2.0', id: idOf(r.message), result: {} });
    }
    expect(up.received.filter((r) => isMethod(r.message, 'resources/subscribe'))).toHaveLength(3);
    const session = [...h.proxy.sessions][0]!;
    const link = await h.proxy.linkFor('up', session)!;
    await Promise.all(clients.map((c) => c.channel.close()));
    await waitFor(() => (h.proxy.sessions.size === 0 && link.sessions.size === 0 ? true : undefined));
    await waitFor(() => (link.peer.inFlight === 3 ? true : undefined));
    // What is left in flight are the three unsubscribes the last sessions' departure caused.
    expect(up.received.filter((r) => isMethod(r.message, 'resources/unsubscribe'))).toHaveLength(3);
    expect(up.received.filter((r) => isMethod(r.message, 'notifications/cancelled'))).toHaveLength(clients.length);
  });
});
