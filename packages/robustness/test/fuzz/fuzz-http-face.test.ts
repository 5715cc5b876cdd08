import { request } from 'node:http';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { bodies, httpRequest, serialize } from './arbitraries.js';
import { closeClients, rawHttp, startWitness } from '../kit/clients.js';
import { postOnSession, rawSession } from '../kit/face-session.js';
import { fuzzParams } from './fuzz-settings.js';
import { hostileStdio, peakRssMb, startProxy, stopAll } from '../kit/proxy-process.js';
import { expectSurvived } from '../kit/survived.js';

/** Peak RSS (VmHWM) the proxy may reach while fuzzed with small requests. */
const FACE_RSS_MB = 300;

afterEach(async () => {
  await closeClients();
  await stopAll();
});

describe('fuzz: the streamable HTTP face', () => {
  it('answers every random request with a status, stays up, and another session keeps working', async () => {
    const proxy = await startProxy({ serve: { http: { port: 0 } }, upstreams: { h: hostileStdio() }, timeouts: { requestMs: 5000 } });
    const url = new URL(proxy.url!);
    const witness = await startWitness(proxy.url!);
    const sessions = [await rawSession(proxy.url!)];
    await fc.assert(
      fc.asyncProperty(httpRequest({ paths: [url.pathname, `${url.pathname}/`, '/'], host: url.host, sessionIds: () => sessions, bodies }), async (req) => {
        const answer = await rawHttp(Number(url.port), serialize(req));
        expect(proxy.alive(), 'mcproxy exited').toBe(true);
        expect(answer.status ?? 0, `no status for ${req.method} ${req.target.slice(0, 100)}: ${answer.head}`).toBeGreaterThanOrEqual(200);
      }),
      fuzzParams(),
    );
    await expectSurvived(proxy, witness);
    expect(proxy.alive()).toBe(true);
    expect(peakRssMb(proxy.pid)).toBeLessThan(FACE_RSS_MB);
  });

  it('refuses CONNECT and Upgrade requests with a status (node:http closes them silently unless told otherwise)', async () => {
    const proxy = await startProxy({ serve: { http: { port: 0 }, sse: {} }, upstreams: { h: hostileStdio() } });
    const url = new URL(proxy.url!);
    for (const request of [
      `CONNECT ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Length: 0\r\n\r\n`,
      `CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n`,
      `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`,
      `GET /sse HTTP/1.1\r\nHost: ${url.host}\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n`,
    ]) {
      const answer = await rawHttp(Number(url.port), request);
      expect(answer.status ?? 0, `no status for ${request.split('\r\n')[0]}`).toBeGreaterThanOrEqual(400);
      expect(proxy.alive()).toBe(true);
    }
  });

  it('refuses a body over clientMessageBytes with 413, and the client reads that answer instead of a reset', async () => {
    const proxy = await startProxy({ serve: { http: { port: 0 } }, upstreams: { h: hostileStdio() } });
    const sessionId = await rawSession(proxy.url!);
    // 4 MiB is the default limit. The proxy answers, then reads and drops the rest
    // of a refused body up to the larger of 32 MiB and four times the limit (beyond
    // that a reset is the price of not reading gigabytes), so a 6 MiB body's 413 is read.
    const body = Buffer.alloc(6 * 1024 * 1024, 0x20);
    const outcome = await new Promise<{ status?: number; error?: string }>((resolve) => {
      const req = request(
        proxy.url!,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            'mcp-session-id': sessionId,
            'content-length': body.length,
          },
        },
        (res) => {
          res.resume();
          resolve({ status: res.statusCode });
        },
      );
      req.setTimeout(20_000, () => req.destroy(new Error('no answer in 20 s')));
      req.on('error', (err) => resolve({ error: `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}` }));
      req.end(body);
    });
    expect(outcome).toEqual({ status: 413 });
    expect(proxy.alive()).toBe(true);
  });

  it('answers a request whose Mcproxy-Hops header lists 20 000 proxies, without logging the list whole', async () => {
    const proxy = await startProxy({ serve: { http: { port: 0 } }, upstreams: { h: hostileStdio() } });
    const url = new URL(proxy.url!);
    const sessionId = await rawSession(proxy.url!);
    const hops = Array.from({ length: 20_000 }, (_, i) => `proxy-${i}`);
    const body = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list', params: { _meta: { 'mcproxy/hops': hops } } });
    const answer = await postOnSession(url.href, sessionId, body);
    expect(answer.status).toBeDefined();
    expect(proxy.alive()).toBe(true);
    const longest = Math.max(0, ...proxy.logs.map((l) => JSON.stringify(l).length));
    expect(longest, 'a log line carries the whole hop list').toBeLessThan(20_000);
  });
});
