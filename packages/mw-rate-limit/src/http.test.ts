import { createProxy, ProxyErrorCode, silentLogger } from '@mcproxy/core';
import { createAuthenticator } from '@mcproxy/auth';
import { initialize, modernUpstream, post, postModern, Teardown, toolList } from '@mcproxy/testing';
import { serveStreamableHttp } from '@mcproxy/transport-streamable-http';
import { afterEach, describe, expect, it } from 'vitest';
import { rateLimit } from './index.js';

const t = new Teardown();
afterEach(() => t.run());

const KEY = 'rate-key-0123456789abcdef';
const OTHER = 'other-key-0123456789abcdef';

describe('rate-limit over real HTTP', () => {
  it('a modern request refused by a limit is HTTP 429 with Retry-After and the JSON-RPC error; another principal goes on', async () => {
    const upstream = modernUpstream('up', { capabilities: { tools: {} } }, (method) =>
      method === 'tools/call' ? { result: { content: [] } } : toolList(['hello']),
    );
    const proxy = createProxy({
      upstreams: [upstream],
      middleware: [await rateLimit({ principal: { rate: 1, per: 'hour', burst: 1 } }, { log: silentLogger })],
    });
    t.add(() => proxy.close());
    const http = await serveStreamableHttp(proxy, {
      auth: createAuthenticator({
        apiKeys: [
          { id: 'ci', key: KEY },
          { id: 'other', key: OTHER },
        ],
      }),
    });
    t.add(() => http.close());
    const auth = { headers: { authorization: `Bearer ${KEY}` } };
    expect((await postModern(http.url, 'tools/list', {}, auth)).status).toBe(200);
    const refused = await fetch(http.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/list',
        authorization: `Bearer ${KEY}`,
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/list',
        params: {
          _meta: {
            'io.modelcontextprotocol/protocolVersion': '2026-07-28',
            'io.modelcontextprotocol/clientInfo': { name: 't', version: '1' },
            'io.modelcontextprotocol/clientCapabilities': {},
          },
        },
      }),
    });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('3600');
    const body = (await refused.json()) as { id: number; error: { code: number; message: string; data: { retryAfterMs: number } } };
    expect(body.id).toBe(7);
    expect(body.error.code).toBe(ProxyErrorCode.RateLimited);
    expect(body.error.message).toMatch(/^rate limit: tools\/list refused; the limit for "api-key:ci" is 1 per hour \(burst 1\); retry in 3\d{3}\.\d s$/);
    expect(body.error.data.retryAfterMs).toBeGreaterThan(3_590_000);
    expect((await postModern(http.url, 'tools/list', {}, { headers: { 'x-api-key': OTHER } })).status).toBe(200);
  });

  it('a legacy session gets the JSON-RPC error in its answer (its HTTP request is not what was refused)', async () => {
    const upstream = modernUpstream('up', 'legacy');
    const proxy = createProxy({
      upstreams: [upstream],
      middleware: [await rateLimit({ principal: { rate: 1, per: 'hour', burst: 1 } }, { log: silentLogger })],
    });
    t.add(() => proxy.close());
    const http = await serveStreamableHttp(proxy, { auth: createAuthenticator({ apiKeys: [{ id: 'ci', key: KEY }] }) });
    t.add(() => http.close());
    const first = await post(http.url, initialize(), { authorization: `Bearer ${KEY}` });
    const second = await post(http.url, initialize(2), { authorization: `Bearer ${KEY}` });
    expect(second.status).toBe(200);
    expect(second.text).toContain(String(ProxyErrorCode.RateLimited));
    expect(first.status).toBe(200);
  });
});
