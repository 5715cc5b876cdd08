import { afterEach, describe, expect, it } from 'vitest';
import { callSettled, closeClients, mcpClient, StdioFace, startWitness } from '../kit/clients.js';
import { hostileStdio, peakRssMb, startProxy, stopAll } from '../kit/proxy-process.js';
import { expectSurvived } from '../kit/survived.js';

/** Peak RSS while a 50 MB result passes through (or is refused): a few copies of it at most. */
const BIG_RESULT_RSS_MB = 768;
/** Peak RSS while an upstream sends 20 000 notifications during one call. */
const FLOOD_RSS_MB = 300;
const BIG = 50 * 1024 * 1024;

afterEach(async () => {
  await closeClients();
  await stopAll();
});

describe('fault: hangs, huge results and floods', () => {
  it('an upstream that never answers: the deadline answers -32001 naming the upstream', async () => {
    const proxy = await startProxy({ serve: { http: { port: 0 } }, upstreams: { sleepy: hostileStdio() }, timeouts: { requestMs: 1500 } });
    const client = await mcpClient(proxy.url!);
    const outcome = await callSettled(client, 'hang', {}, 20_000);
    expect(outcome.hung).toBeUndefined();
    expect(outcome.error?.code, JSON.stringify(outcome)).toBe(-32001);
    expect(outcome.error?.message).toContain('sleepy');
    expect((await callSettled(client, 'echo', { text: 'still' })).text).toBe('still');
  });

  it('a 50 MB result over streamable HTTP is delivered whole or refused with the limit error; the proxy stays up', async () => {
    const proxy = await startProxy({ serve: { http: { port: 0 } }, upstreams: { big: hostileStdio({ sessionMode: 'per-session' }) } });
    const client = await mcpClient(proxy.url!);
    const witness = await startWitness(proxy.url!);
    const outcome = await callSettled(client, 'big', { bytes: BIG }, 60_000);
    expect(outcome.hung).toBeUndefined();
    if (outcome.error) expect(outcome.error).toMatchObject({ code: -32016, data: expect.objectContaining({ limit: expect.any(String) }) });
    else expect(outcome.text?.length).toBe(BIG);
    await expectSurvived(proxy, witness, BIG_RESULT_RSS_MB);
  });

  it('a 50 MB result over the stdio face is delivered whole or refused with the limit error', async () => {
    const proxy = await startProxy({ serve: { stdio: true }, upstreams: { big: hostileStdio() } }, { stdio: true });
    const face = new StdioFace(proxy.child);
    await face.handshake();
    const answer = await face.request('tools/call', { name: 'big', arguments: { bytes: BIG } }, 60_000);
    const error = answer.error as { code: number; data?: { limit?: string } } | undefined;
    if (error) expect(error).toMatchObject({ code: -32016, data: expect.objectContaining({ limit: expect.any(String) }) });
    else expect((answer.result as { content: Array<{ text: string }> }).content[0]!.text.length).toBe(BIG);
    expect(proxy.alive()).toBe(true);
    expect(peakRssMb(proxy.pid)).toBeLessThan(BIG_RESULT_RSS_MB);
    expect(await face.request('ping')).toHaveProperty('result');
  });

  it('20 000 notifications during one call: the call completes, memory stays bounded, another session keeps working', async () => {
    const proxy = await startProxy({ serve: { http: { port: 0 } }, upstreams: { loud: hostileStdio({ sessionMode: 'per-session' }) } });
    const client = await mcpClient(proxy.url!);
    let seen = 0;
    client.fallbackNotificationHandler = async () => {
      seen += 1;
    };
    const witness = await startWitness(proxy.url!);
    const outcome = await callSettled(client, 'flood', { count: 20_000, bytes: 200 }, 60_000);
    expect(outcome, JSON.stringify(outcome).slice(0, 300)).toEqual({ text: 'flood done' });
    expect(seen).toBeGreaterThan(0);
    await expectSurvived(proxy, witness, FLOOD_RSS_MB);
  });
});
