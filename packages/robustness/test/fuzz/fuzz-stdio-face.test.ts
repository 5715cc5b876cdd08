import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonRpcish } from './arbitraries.js';
import { closeClients, StdioFace, startWitness } from '../kit/clients.js';
import { fuzzParams } from './fuzz-settings.js';
import { drained, hostileStdio, peakRssMb, startProxy, stopAll } from '../kit/proxy-process.js';
import { expectSurvived } from '../kit/survived.js';

/** Peak RSS (VmHWM) while fuzzed with short lines. */
const FACE_RSS_MB = 300;
/** Peak RSS while a client sends 64 MiB without a newline (clientMessageBytes is 4 MiB by default). */
const LONG_LINE_RSS_MB = 300;

afterEach(async () => {
  await closeClients();
  await stopAll();
});

const garbageLine = fc.oneof(
  jsonRpcish.map((v) => JSON.stringify(v) ?? 'null'),
  fc.string({ maxLength: 200 }).map((s) => s.replace(/\n/g, ' ')),
  fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a.map((b) => (b === 10 ? 32 : b))).toString('latin1')),
  fc.constantFrom(
    '',
    '\r',
    '{',
    '}',
    '[]',
    '[{}]',
    'null',
    '{"jsonrpc":"2.0","id":1}',
    '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}',
  ),
);
const METHODS = ['tools/list', 'tools/call', 'ping', 'resources/list', 'prompts/list', 'initialize', 'logging/setLevel', 'x/unknown'];
const request = fc
  .record({
    method: fc.constantFrom(...METHODS),
    params: fc.oneof(
      fc.constant({}),
      fc.record({ name: fc.constantFrom('echo', 'pid', 'garbage', 'nope'), arguments: fc.record({ text: fc.string({ maxLength: 30 }) }) }),
      fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 })),
    ),
  })
  .map((r) => ({ kind: 'request' as const, ...r }));
const line = fc.oneof({ weight: 2, arbitrary: garbageLine.map((text) => ({ kind: 'line' as const, text })) }, { weight: 1, arbitrary: request });

describe('fuzz: the stdio face', () => {
  it('answers every request among random lines, stays up, and an HTTP session keeps working', async () => {
    const proxy = await startProxy(
      { serve: { stdio: true, http: { port: 0 } }, upstreams: { h: hostileStdio() }, timeouts: { requestMs: 5000 } },
      { stdio: true },
    );
    const face = new StdioFace(proxy.child);
    await face.handshake();
    const witness = await startWitness(proxy.url!);
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 12 }), async (lines) => {
        const answers: Array<Promise<Record<string, unknown>>> = [];
        for (const l of lines) {
          if (l.kind === 'line') face.write(l.text);
          else answers.push(face.request(l.method, l.params as Record<string, unknown>, 20_000));
        }
        answers.push(face.request('ping', {}, 20_000));
        const got = await Promise.all(answers);
        for (const a of got) expect(a.result !== undefined || a.error !== undefined, JSON.stringify(a)).toBe(true);
        expect(proxy.alive()).toBe(true);
      }),
      fuzzParams(),
    );
    await expectSurvived(proxy, witness, FACE_RSS_MB);
  });

  it('cuts a 64 MiB line that has no newline, keeps memory bounded, and answers the next request', async () => {
    const proxy = await startProxy({ serve: { stdio: true }, upstreams: { h: hostileStdio() } }, { stdio: true });
    const face = new StdioFace(proxy.child);
    await face.handshake();
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    const stdin = proxy.child.stdin!;
    stdin.write('{"jsonrpc":"2.0","id":"long","method":"ping","params":{"pad":"');
    for (let i = 0; i < 64 && proxy.alive(); i++) {
      if (!stdin.write(chunk)) await drained(stdin);
    }
    stdin.write('"}}\n');
    // The proxy may have closed the session over it (its stdin with it); what it may not do is die or grow.
    const next = await face.request('ping', {}, 20_000).catch((err: Error) => ({ error: err.message }));
    expect(proxy.alive() || (await proxy.exited).code === 0).toBe(true);
    expect(peakRssMb(proxy.pid) || 0).toBeLessThan(LONG_LINE_RSS_MB);
    expect(next, 'the request after the long line was answered').toHaveProperty('result');
  });
});
