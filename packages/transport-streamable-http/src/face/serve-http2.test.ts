import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { ClientHttp2Session } from 'node:http2';
import { afterEach, describe, expect, it } from 'vitest';
import { initialize, modernHeaders, modernMessage, post, selfSignedCertificate, Teardown } from '@mcproxy/testing';
import { connectH2, h2Events, h2Post, h2Request, h2Stream } from '../../test/h2-client.js';
import { serveProxy } from '../../test/setup.js';

const t = new Teardown();
afterEach(() => t.run());
const cert = selfSignedCertificate();

/**
 * A whole 2025-11-25 session on one HTTP/2 connection: initialize, the
 * standalone GET stream, a call answered at once and one with progress
 * (an SSE answer), then DELETE; and a 2026-07-28 request beside it.
 */
async function fullSession(session: ClientHttp2Session, path: string): Promise<void> {
  const init = await h2Post(session, path, initialize());
  expect(init.status).toBe(200);
  expect(init.message()).toMatchObject({ id: 1, result: { protocolVersion: '2025-11-25' } });
  const id = String(init.headers['mcp-session-id']);
  const headers = { 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' };
  expect((await h2Post(session, path, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers)).status).toBe(202);

  const listen = h2Events(h2Stream(session, path, { headers: { ...headers, accept: 'text/event-stream' } }));
  const opened = await listen.response;
  expect(opened[':status']).toBe(200);
  expect(opened['content-type']).toBe('text/event-stream');
  // The SSE headers of HTTP/1.1 (Connection: keep-alive) are not HTTP/2's.
  expect(opened.connection).toBeUndefined();

  const hello = await h2Post(session, path, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'hello', arguments: {} } }, headers);
  expect(hello.message()).toMatchObject({ id: 2, result: { content: [{ text: 'hello from upstream' }] } });
  const counted = await h2Post(
    session,
    path,
    { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'count', arguments: {}, _meta: { progressToken: 'p' } } },
    headers,
  );
  expect(counted.text.match(/notifications\/progress/g)).toHaveLength(3);
  expect(counted.message()).toMatchObject({ id: 3, result: { content: [{ text: 'counted' }] } });

  const modern = await h2Post(
    session,
    path,
    modernMessage('tools/call', { name: 'hello', arguments: {} }, { id: 4 }),
    modernHeaders('tools/call', { name: 'hello' }),
  );
  expect(modern.status).toBe(200);
  expect(modern.message()).toMatchObject({ id: 4, result: { content: [{ text: 'hello from upstream' }] } });

  const ended = await h2Request(session, path, { method: 'DELETE', headers });
  expect(ended.status).toBe(200);
  // Ending the session ends its GET stream, and its id names nothing any more.
  expect(await listen.next()).toBeUndefined();
  expect((await h2Post(session, path, { jsonrpc: '2.0', id: 5, method: 'tools/list' }, headers)).status).toBe(404);
}

describe('serveStreamableHttp over HTTP/2', () => {
  it('serves a whole session over cleartext HTTP/2 with prior knowledge (h2c), and HTTP/1.1 on the same port', async () => {
    const { http } = await serveProxy(t, { http: { http2: true } });
    expect(http.url).toMatch(/^http:/);
    const session = await connectH2(t, http.url);
    await fullSession(session, '/mcp');
    expect((await post(http.url, initialize())).status).toBe(200);
  });

  it('serves HTTP/2 over TLS to clients that choose it by ALPN, and HTTP/1.1 to the others on the same port', async () => {
    const { http } = await serveProxy(t, { http: { http2: true, tls: cert } });
    const url = http.url;
    const session = await connectH2(t, url, { ca: cert.cert });
    expect(session.alpnProtocol).toBe('h2');
    await fullSession(session, '/mcp');
    for (const ALPNProtocols of [['http/1.1'], undefined]) {
      const answer = await new Promise<{ status: number; version: string; alpn: unknown }>((resolve, reject) => {
        const req = httpsRequest(
          url,
          // Node hands ALPNProtocols on to tls.connect; its types leave it out of https.request's options.
          {
            method: 'POST',
            ca: cert.cert,
            agent: false,
            headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
            ALPNProtocols,
          } as RequestOptions,
          (res) => {
            res.resume();
            resolve({ status: res.statusCode ?? 0, version: res.httpVersion, alpn: (res.socket as { alpnProtocol?: unknown }).alpnProtocol });
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify(initialize()));
      });
      expect(answer).toMatchObject({ status: 200, version: '1.1' });
    }
  });

  it('serves HTTP/1.1 only without the option: an HTTP/2 preface is no request', async () => {
    const { http } = await serveProxy(t);
    await expect(connectH2(t, http.url).then((s) => h2Request(s, '/mcp'))).rejects.toThrow();
    expect((await post(http.url, initialize())).status).toBe(200);
  });
});
