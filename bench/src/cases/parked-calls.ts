// What parked calls cost: N calls of a 2026-07-28 client to a 2025-era
// upstream, each parked by the era bridge on an input_required round, then
// left to expire. Prints the heap each parked call holds and how long the
// proxy takes to cancel them all once their time is up.
//   node --expose-gc dist/cases/parked-calls.js [calls=1000] [parkedCallMs=2000]
// In process, over in-memory channels; the upstream is scripted and keeps
// nothing per call, so what grows is the proxy's.
import { createChannelPair, createProxy, META, MODERN_VERSION, type Message, type Params } from '@mcproxy/core';

const calls = Number(process.argv[2] ?? 1000);
const parkedMs = Number(process.argv[3] ?? 2000);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

const heap = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

let cancelled = 0;
/** A 2025-era server that answers initialize and, for every call, pushes one elicitation tied to it. */
async function legacyUpstream() {
  const [ours, theirs] = createChannelPair();
  let next = 0;
  theirs.onmessage = (m: Message) => {
    if (!('method' in m)) return;
    if (!('id' in m)) {
      if (m.method === 'notifications/cancelled') cancelled++;
      return;
    }
    if (m.method === 'initialize') {
      void theirs.send({
        jsonrpc: '2.0',
        id: m.id,
        result: { protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'old', version: '1' } },
      });
    } else if (m.method === 'server/discover') void theirs.send({ jsonrpc: '2.0', id: m.id, error: { code: -32601, message: 'Method not found' } });
    else if (m.method === 'tools/call') {
      const push = {
        jsonrpc: '2.0' as const,
        id: `push-${next++}`,
        method: 'elicitation/create',
        params: { message: 'Name?', requestedSchema: { type: 'object', properties: {} } },
      };
      void theirs.send(push, { relatedRequestId: m.id });
    }
  };
  await theirs.start();
  return ours;
}

const proxy = createProxy({
  upstreams: [{ name: 'old', mode: 'shared', connect: legacyUpstream }],
  limits: { parkedCallMs: parkedMs, requestsPerSession: calls + 10 },
});
const [near, far] = createChannelPair();
await proxy.accept(near, undefined, { era: 'modern' });
const waiting = new Map<unknown, (p: Params) => void>();
far.onmessage = (m) => {
  if ('id' in m && !('method' in m)) waiting.get(m.id)?.((m as { result: Params }).result);
};
await far.start();
const ask = (id: number): Promise<Params> =>
  new Promise((resolve) => {
    waiting.set(id, resolve);
    const _meta = { [META.protocolVersion]: MODERN_VERSION, [META.clientCapabilities]: { elicitation: {} } };
    void far.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'ask', arguments: {}, _meta } });
  });

await ask(0); // opens the link and parks one call, so the baseline holds everything but the calls
const before = heap();
const started = Date.now();
const parked = (await Promise.all(Array.from({ length: calls }, (_, i) => ask(i + 1)))).filter((r) => r?.resultType === 'input_required').length;
const parkedAt = Date.now();
waiting.clear();
const after = heap();
if (parked !== calls) throw new Error(`${calls - parked} calls were not parked`);
while (proxy.parked.size > 0) await new Promise((r) => setTimeout(r, 10));
const cleared = Date.now();
const settled = heap();
const report = (text: string): boolean => process.stdout.write(text); // lint-allow: the measurement's output is its figures
report(
  `${JSON.stringify(
    {
      calls,
      parkedCallMs: parkedMs,
      parkMs: parkedAt - started,
      heapPerParkedCallBytes: Math.round((after - before) / calls),
      heapParkedMiB: +((after - before) / 1048576).toFixed(2),
      lastCancelledAfterMs: cleared - parkedAt,
      cancelledUpstream: cancelled,
      heapLeftAfterExpiryBytes: settled - before,
    },
    null,
    2,
  )}\n`,
);
// A second batch: what is left over after the first must not grow (it is the tables' capacity, not calls).
for (let batch = 2; batch <= Number(process.env.BATCHES ?? 1); batch++) {
  await Promise.all(Array.from({ length: calls }, (_, i) => ask(batch * calls + i + 1)));
  waiting.clear();
  while (proxy.parked.size > 0) await new Promise((r) => setTimeout(r, 10));
  report(`after batch ${batch}: ${heap() - before} bytes left\n`);
}
await proxy.close();
