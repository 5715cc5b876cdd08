import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { callSettled, closeClients, mcpClient, startWitness } from '../kit/clients.js';
import { fuzzParams } from './fuzz-settings.js';
import { GARBAGE_KINDS, startHostileHttp } from '../kit/hostile-http.mjs';
import { hostileStdio, startProxy, stopAll, type ProxyProcess } from '../kit/proxy-process.js';
import { expectSurvived } from '../kit/survived.js';

/** Peak RSS (VmHWM) while an upstream answers with junk of ordinary size. */
const JUNK_RSS_MB = 300;
/**
 * Peak RSS while an upstream sends an endless line or a 600 MB body: the
 * default upstreamMessageBytes is 64 MiB, and reading one message that size
 * may briefly cost a few copies of it.
 */
const HUGE_RSS_MB = 500;

/** The call's outcome, or (sooner) word that mcproxy died under it. */
const unlessDied = <T>(proxy: ProxyProcess, outcome: Promise<T>): Promise<T | { died: true; hung?: undefined; error?: undefined }> =>
  Promise.race([outcome, proxy.exited.then(() => ({ died: true as const }))]);

type Hostile = Awaited<ReturnType<typeof startHostileHttp>>;
const upstreams: Hostile[] = [];

afterEach(async () => {
  await closeClients();
  await stopAll();
  await Promise.allSettled(upstreams.splice(0).map((u) => u.close()));
});

async function behindHostileHttp(requestMs: number) {
  const hostile = await startHostileHttp();
  upstreams.push(hostile);
  const proxy = await startProxy({
    serve: { http: { port: 0 } },
    upstreams: { hostile: { url: hostile.url, transport: 'streamable-http' } },
    timeouts: { requestMs },
  });
  return { hostile, proxy };
}

const hostileCall = fc.oneof(
  fc.record({ name: fc.constant('echo'), args: fc.record({ text: fc.string({ maxLength: 50 }) }) }),
  fc.record({ name: fc.constant('slow'), args: fc.record({ ms: fc.integer({ min: 0, max: 300 }) }) }),
  fc.record({ name: fc.constant('wrong_id'), args: fc.constant({}) }),
  fc.record({ name: fc.constant('garbage'), args: fc.record({ kind: fc.constantFrom(...GARBAGE_KINDS) }) }),
  fc.record({ name: fc.constant('flood_sse'), args: fc.record({ count: fc.integer({ min: 0, max: 300 }), bytes: fc.integer({ min: 0, max: 4000 }) }) }),
);

describe('fuzz: a hostile HTTP upstream', () => {
  it('every call on junk, wrong ids and floods settles; the proxy stays up; another session keeps working', async () => {
    const { proxy } = await behindHostileHttp(1500);
    const client = await mcpClient(proxy.url!);
    const witness = await startWitness(proxy.url!);
    await fc.assert(
      fc.asyncProperty(fc.array(hostileCall, { minLength: 1, maxLength: 4 }), async (calls) => {
        const outcomes = await Promise.all(calls.map((c) => callSettled(client, c.name, c.args, 20_000)));
        for (const [i, o] of outcomes.entries()) expect(o.hung, `${calls[i]!.name} hung`).toBeUndefined();
        expect(proxy.alive()).toBe(true);
      }),
      fuzzParams(0.6),
    );
    await expectSurvived(proxy, witness, JUNK_RSS_MB);
  });

  it('an SSE data line that never ends is cut: the call is answered, memory stays bounded (finding 2)', async () => {
    const { proxy } = await behindHostileHttp(20_000);
    const client = await mcpClient(proxy.url!);
    const witness = await startWitness(proxy.url!);
    const outcome = await unlessDied(proxy, callSettled(client, 'endless_sse', {}, 30_000));
    expect(proxy.alive(), 'mcproxy exited').toBe(true);
    expect(outcome.hung).toBeUndefined();
    expect([-32016, -32000], JSON.stringify(outcome)).toContain(outcome.error?.code);
    await expectSurvived(proxy, witness, HUGE_RSS_MB);
  });

  it('a 600 MB JSON body is refused with the upstreamMessageBytes limit; the proxy stays up (finding 2)', async () => {
    const { proxy } = await behindHostileHttp(20_000);
    const client = await mcpClient(proxy.url!);
    const witness = await startWitness(proxy.url!);
    const outcome = await unlessDied(proxy, callSettled(client, 'huge_json', { bytes: 600 * 1024 * 1024 }, 30_000));
    expect(outcome.hung).toBeUndefined();
    expect(proxy.alive(), 'mcproxy exited').toBe(true);
    expect(outcome.error).toMatchObject({ code: -32016, data: expect.objectContaining({ limit: 'upstreamMessageBytes' }) });
    await expectSurvived(proxy, witness, HUGE_RSS_MB);
  });
});

describe('fuzz: a hostile stdio upstream', () => {
  it('junk lines, unknown ids and random tools never hang a call; the proxy stays up', async () => {
    const proxy = await startProxy({
      serve: { http: { port: 0 } },
      upstreams: { h: hostileStdio({ sessionMode: 'per-session' }) },
      timeouts: { requestMs: 3000 },
    });
    const client = await mcpClient(proxy.url!);
    const witness = await startWitness(proxy.url!);
    const call = fc.oneof(
      fc.record({ name: fc.constantFrom('garbage', 'pid', 'nope'), args: fc.constant({}) }),
      fc.record({ name: fc.constant('echo'), args: fc.record({ text: fc.string({ maxLength: 100 }) }) }),
      fc.record({ name: fc.constant('flood'), args: fc.record({ count: fc.integer({ min: 0, max: 300 }), bytes: fc.integer({ min: 0, max: 2000 }) }) }),
      fc.record({ name: fc.constant('big'), args: fc.record({ bytes: fc.integer({ min: 0, max: 512 * 1024 }) }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 4 }), async (calls) => {
        const outcomes = await Promise.all(calls.map((c) => callSettled(client, c.name, c.args, 20_000)));
        for (const [i, o] of outcomes.entries()) {
          expect(o.hung, `${calls[i]!.name} hung`).toBeUndefined();
          if (calls[i]!.name === 'garbage') expect(o.text).toBe('garbage done');
        }
        expect(proxy.alive()).toBe(true);
      }),
      fuzzParams(),
    );
    await expectSurvived(proxy, witness, JUNK_RSS_MB);
  });

  it('a stdout line that never ends is cut: the call is answered, memory stays bounded, another session keeps working', async () => {
    const proxy = await startProxy({
      serve: { http: { port: 0 } },
      upstreams: { h: hostileStdio({ sessionMode: 'per-session' }) },
      timeouts: { requestMs: 5000 },
    });
    const client = await mcpClient(proxy.url!);
    const witness = await startWitness(proxy.url!);
    const outcome = await unlessDied(proxy, callSettled(client, 'endless', {}, 30_000));
    expect(outcome.hung).toBeUndefined();
    // Cut by the limit (-32016), the child closed over it (-32000), or (a stdio line
    // does not say which request it answers until it ends) left to the deadline (-32001).
    expect([-32016, -32000, -32001], JSON.stringify(outcome)).toContain(outcome.error?.code);
    await expectSurvived(proxy, witness, HUGE_RSS_MB);
  });
});
