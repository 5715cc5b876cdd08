import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { rawHttp } from '../kit/clients.js';
import { fuzzParams } from './fuzz-settings.js';
import { hostileStdio, startProxy, stopAll } from '../kit/proxy-process.js';

// Header order, duplicates and name case must not change who a request is:
// a request with no valid credential for its path is refused however its
// headers are arranged, and one with a valid credential gets the same
// answer in any order.

afterEach(stopAll);

const KEY = 'top-level-key-0123456789';
const OPS = 'ops-route-key-0123456789';
const BODY = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });

/** Any case of a header name: Node folds them, nothing else may care. */
const anyCase = (name: string): fc.Arbitrary<string> =>
  fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }).map((up) => [...name].map((c, i) => (up[i] ? c.toUpperCase() : c)).join(''));

/** Credentials that are wrong at `/mcp`: a wrong key, the route's key, malformed Bearer values, in either header. */
const wrongCredential = fc.oneof(
  fc.tuple(anyCase('authorization'), fc.constantFrom(`Bearer ${KEY}x`, `Bearer ${OPS}`, `Basic ${KEY}`, 'Bearer', `Bearer  ${KEY} extra`, `${KEY}`)),
  fc.tuple(anyCase('x-api-key'), fc.constantFrom(`${KEY}x`, OPS, `Bearer ${KEY}`, '', ' ')),
);

/** The headers every request carries, apart from credentials. */
function plain(host: string): Array<[string, string]> {
  return [
    ['Host', host],
    ['Content-Type', 'application/json'],
    ['Accept', 'application/json, text/event-stream'],
    ['Content-Length', String(Buffer.byteLength(BODY))],
  ];
}

const wire = (path: string, headers: Array<[string, string]>): string =>
  `POST ${path} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\nConnection: close\r\n\r\n${BODY}`;

describe('fuzz: header order and duplicates at an authenticated face', () => {
  it('refuses a request with no valid credential however its headers are ordered, cased or repeated', async () => {
    const proxy = await startProxy({
      serve: { http: { port: 0 } },
      upstreams: { h: hostileStdio() },
      auth: { apiKeys: [{ id: 'top', key: KEY }] },
      routes: { '/ops': { upstreams: { o: hostileStdio() }, auth: { apiKeys: [{ id: 'ops', key: OPS }] } } },
    });
    const url = new URL(proxy.url!);
    await fc.assert(
      fc.asyncProperty(fc.array(wrongCredential, { maxLength: 4 }), fc.infiniteStream(fc.nat()), async (credentials, order) => {
        const headers = [...plain(url.host), ...credentials];
        // A shuffle driven by fast-check, so a failure replays from its seed.
        const shuffled = headers
          .map((h) => [order.next().value as number, h] as const)
          .sort((a, b) => a[0] - b[0])
          .map(([, h]) => h);
        const answer = await rawHttp(Number(url.port), wire(url.pathname, shuffled));
        expect(answer.status, `${shuffled.map(([k, v]) => `${k}: ${v.slice(0, 30)}`).join(' | ')}\n${answer.head}`).toBe(401);
      }),
      fuzzParams(),
    );
    expect(proxy.alive()).toBe(true);
  });

  it('answers a request with a valid credential the same in any header order, on the route that key is for only', async () => {
    const proxy = await startProxy({
      serve: { http: { port: 0 } },
      upstreams: { h: hostileStdio() },
      auth: { apiKeys: [{ id: 'top', key: KEY }] },
      routes: { '/ops': { upstreams: { o: hostileStdio() }, auth: { apiKeys: [{ id: 'ops', key: OPS }] } } },
    });
    const url = new URL(proxy.url!);
    const cases = [
      { path: url.pathname, credential: ['Authorization', `Bearer ${KEY}`] as [string, string], admitted: true },
      { path: '/ops', credential: ['X-API-Key', OPS] as [string, string], admitted: true },
      { path: '/ops', credential: ['Authorization', `Bearer ${KEY}`] as [string, string], admitted: false },
    ];
    const baseline = await Promise.all(cases.map(async (c) => (await rawHttp(Number(url.port), wire(c.path, [...plain(url.host), c.credential]))).status));
    // Admitted, a sessionless tools/list is a 400 of the MCP endpoint; refused, 401.
    expect(baseline).toEqual([400, 400, 401]);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(0, 1, 2), fc.infiniteStream(fc.nat()), async (which, order) => {
        const c = cases[which]!;
        const shuffled = [...plain(url.host), c.credential]
          .map((h) => [order.next().value as number, h] as const)
          .sort((a, b) => a[0] - b[0])
          .map(([, h]) => h);
        const answer = await rawHttp(Number(url.port), wire(c.path, shuffled));
        expect(answer.status, shuffled.map(([k]) => k).join(', ')).toBe(baseline[which]);
      }),
      fuzzParams(),
    );
    expect(proxy.alive()).toBe(true);
  });
});
