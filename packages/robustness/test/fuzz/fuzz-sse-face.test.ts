import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { bodies, httpRequest, serialize } from './arbitraries.js';
import { closeClients, rawHttp, startWitness } from '../kit/clients.js';
import { closeSseStreams, openSseStream } from '../kit/face-session.js';
import { fuzzParams } from './fuzz-settings.js';
import { hostileStdio, startProxy, stopAll } from '../kit/proxy-process.js';
import { expectSurvived } from '../kit/survived.js';

/** Peak RSS (VmHWM) the proxy may reach while fuzzed with small requests. */
const FACE_RSS_MB = 300;

afterEach(async () => {
  closeSseStreams();
  await closeClients();
  await stopAll();
});

describe('fuzz: the legacy SSE face', () => {
  it('survives the request target //a:99999/ (finding 1) and other bad targets', async () => {
    const proxy = await startProxy({ serve: { sse: { port: 0 } }, upstreams: { h: hostileStdio() } });
    const url = new URL(proxy.sseUrl!);
    for (const target of ['//a:99999/', '//a:99999/sse', 'http://a:99999/messages', '//[::1/', '/messages?sessionId=%ZZ', '*']) {
      for (const method of ['GET', 'POST']) {
        const answer = await rawHttp(Number(url.port), `${method} ${target} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Length: 2\r\n\r\n{}`);
        expect(proxy.alive(), `mcproxy exited after ${method} ${target}`).toBe(true);
        expect(answer.status ?? 0, `no status for ${method} ${target}`).toBeGreaterThanOrEqual(200);
      }
    }
  });

  it('answers every random request with a status, stays up, and another SSE session keeps working', async () => {
    const proxy = await startProxy({ serve: { sse: { port: 0 } }, upstreams: { h: hostileStdio() }, timeouts: { requestMs: 5000 } });
    const url = new URL(proxy.sseUrl!);
    const witness = await startWitness(proxy.sseUrl!, { transport: 'sse' });
    const messages = await openSseStream(Number(url.port), url.host, url.pathname);
    const sessionId = new URL(messages, url).searchParams.get('sessionId') ?? 'none';
    const paths = [url.pathname, messages, '/messages', `/messages?sessionId=${sessionId}&x=1`, '/'];
    await fc.assert(
      fc.asyncProperty(httpRequest({ paths, host: url.host, sessionIds: () => [sessionId], bodies }), async (req) => {
        const answer = await rawHttp(Number(url.port), serialize(req));
        expect(proxy.alive(), `mcproxy exited after ${req.method} ${req.target.slice(0, 100)}`).toBe(true);
        expect(answer.status ?? 0, `no status for ${req.method} ${req.target.slice(0, 100)}: ${answer.head}`).toBeGreaterThanOrEqual(200);
      }),
      fuzzParams(),
    );
    await expectSurvived(proxy, witness, FACE_RSS_MB);
  });
});
