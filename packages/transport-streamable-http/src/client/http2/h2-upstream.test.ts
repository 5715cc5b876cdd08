import { createServer as createHttpsServer } from 'node:https';
import { createServer as createH2Server, constants, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { createChannelPair, createProxy, isNotDelivered, type LinkMode, type Message } from '@mcproxy/core';
import { afterEach, describe, expect, it } from 'vitest';
import { deferred, selfSignedCertificate, settle, Teardown, textOf, until } from '@mcproxy/testing';
import { startH2Upstream, type H2Upstream } from '../../../test/h2-upstream.js';
import { createUpstreamServer, type UpstreamHooks } from '../../../test/upstream-server.js';
import { HttpClient, streamableHttpUpstream } from '../../index.js';
import { readText } from '../read-body.js';

const t = new Teardown();
afterEach(() => t.run());
const cert = selfSignedCertificate();

async function upstream(hooks: UpstreamHooks = {}, tls?: { cert: string; key: string; allowHTTP1?: boolean }): Promise<H2Upstream> {
  const up = await startH2Upstream(() => createUpstreamServer(hooks), tls);
  t.add(() => up.close());
  return up;
}

/** A proxy whose one upstream is reached over cleartext HTTP/2 with prior knowledge, and SDK clients of it. */
function proxyTo(url: string, mode: LinkMode) {
  const proxy = createProxy({ upstreams: [{ name: 'up', mode, connect: streamableHttpUpstream({ url, http2: 'prior-knowledge' }) }] });
  t.add(() => proxy.close());
  return async (name = 'a client'): Promise<Client> => {
    const [near, far] = createChannelPair();
    await proxy.accept(near);
    const c = new Client({ name: 'test-client', version: '1.0.0' }, { capabilities: { sampling: {} } });
    c.setRequestHandler(CreateMessageRequestSchema, async () => ({ role: 'assistant', model: 'test', content: { type: 'text', text: name } }));
    await c.connect(far as unknown as Transport);
    t.add(() => c.close());
    return c;
  };
}

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};
const mcpHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

describe('reaching upstreams over HTTP/2', () => {
  it('speaks h2c with prior knowledge to an HTTP/2-only upstream: a whole session, sampling and progress included, on one connection', async () => {
    const up = await upstream();
    const client = await proxyTo(up.url, 'per-session')('the downstream client');
    expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual(['ask', 'count', 'hello', 'wait']);
    expect(textOf(await client.callTool({ name: 'hello', arguments: {} }))).toBe('hello from upstream');
    const progress: number[] = [];
    expect(textOf(await client.callTool({ name: 'count', arguments: {} }, undefined, { onprogress: (p) => progress.push(p.progress) }))).toBe('counted');
    expect(progress).toEqual([1, 2, 3]);
    expect(textOf(await client.callTool({ name: 'ask', arguments: {} }))).toBe('sampled: the downstream client');
    await client.close();
    await until(() => up.seen.some((s) => s.method === 'DELETE'), 'the DELETE that ends the upstream session');
    expect(new Set(up.seen.map((s) => s.httpVersion))).toEqual(new Set(['2.0']));
    expect(up.seen.map((s) => s.method)).toContain('GET');
    expect(up.connections()).toBe(1);
  });

  it('multiplexes 100 concurrent calls of a shared link on one connection', async () => {
    const up = await upstream();
    const connect = proxyTo(up.url, 'shared');
    const client = await connect();
    const answers = await Promise.all(Array.from({ length: 100 }, () => client.callTool({ name: 'hello', arguments: {} })));
    expect(answers.map(textOf)).toEqual(Array(100).fill('hello from upstream'));
    expect(up.connections()).toBe(1);
  });

  it('picks HTTP/2 by ALPN for https when the upstream offers it, HTTP/1.1 when it does not, on the connection that asked', async () => {
    const h2Only = await upstream({}, cert);
    const both = await upstream({}, { ...cert, allowHTTP1: true });
    for (const up of [h2Only, both]) {
      const http = new HttpClient(new URL(up.url), [], undefined, { ca: cert.cert });
      t.add(async () => http.destroy());
      const res = await http.request('POST', mcpHeaders, JSON.stringify(initialize));
      expect(res.statusCode).toBe(200);
      expect(await readText(res)).toContain('"protocolVersion":"2025-11-25"');
      expect(up.seen.map((s) => s.httpVersion)).toEqual(['2.0']);
      expect(up.connections()).toBe(1);
    }
    // An HTTP/1.1-only server: the connection that asked is the one the request takes (one handshake, not two).
    const versions: string[] = [];
    let connections = 0;
    const h1 = createHttpsServer({ ...cert }, (req, res) => {
      versions.push(req.httpVersion);
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":1,"result":{}}');
    });
    h1.on('connection', () => void connections++);
    await new Promise<void>((resolve) => h1.listen(0, '127.0.0.1', resolve));
    t.add(() => new Promise<void>((resolve) => h1.close(() => resolve())).then(() => h1.closeAllConnections()));
    const http = new HttpClient(new URL(`https://127.0.0.1:${(h1.address() as AddressInfo).port}/mcp`), [], undefined, { ca: cert.cert });
    t.add(async () => http.destroy());
    for (let i = 0; i < 2; i++) expect(await readText(await http.request('POST', mcpHeaders, '{}'))).toContain('"result"');
    expect(versions).toEqual(['1.1', '1.1']);
    expect(connections).toBe(1);
  });

  it('keeps the link guarantees: configured headers go with every request, an answer over upstreamMessageBytes is answered -32016', async () => {
    const up = await startH2Upstream(() => {
      const server = createUpstreamServer();
      server.registerTool('big', { description: 'a large answer' }, async () => ({ content: [{ type: 'text' as const, text: 'x'.repeat(200_000) }] }));
      return server;
    });
    t.add(() => up.close());
    const channel = await streamableHttpUpstream({
      url: up.url,
      http2: 'prior-knowledge',
      headers: { Authorization: 'Bearer h2-secret' },
      limits: { upstreamMessageBytes: 100_000 },
    })();
    t.add(() => channel.close());
    const got: Message[] = [];
    channel.onmessage = (m) => void got.push(m);
    await channel.send(initialize as Message);
    await channel.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await channel.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'big', arguments: {} } });
    const answer = await until(() => got.find((m) => 'id' in m && m.id === 2), 'the answer to the large call');
    expect(answer).toMatchObject({ error: { code: -32016, data: { limit: 'upstreamMessageBytes', value: 100_000 } } });
    expect(up.seen.length).toBeGreaterThanOrEqual(3);
    expect(up.seen.every((s) => s.authorization === 'Bearer h2-secret')).toBe(true);
  });

  it('resets the stream when a request is abandoned, and a refused stream is sent again on a fresh connection', async () => {
    const held = deferred<ServerHttp2Stream>();
    let refused = 0;
    const server = createH2Server((req, res) => {
      if (req.url === '/held') return held.resolve(req.stream);
      if (req.url === '/refuse' && refused++ === 0) return void req.stream.close(constants.NGHTTP2_REFUSED_STREAM);
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.add(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const http = new HttpClient(new URL(`${origin}/held`), [], undefined, { http2: 'prior-knowledge' });
    t.add(async () => http.destroy());
    const abort = new AbortController();
    const pending = settle(http.request('POST', mcpHeaders, '{}', abort.signal));
    const stream = await held.promise;
    const closed = new Promise<number | undefined>((resolve) => stream.once('close', () => resolve(stream.rstCode)));
    abort.abort();
    expect(await closed).toBe(constants.NGHTTP2_CANCEL);
    expect((await pending).ok).toBe(false);

    const again = new HttpClient(new URL(`${origin}/refuse`), [], undefined, { http2: 'prior-knowledge' });
    t.add(async () => again.destroy());
    expect((await again.request('POST', mcpHeaders, '{}')).statusCode).toBe(200);
    expect(refused).toBe(2);
  });

  it('goes on after the upstream says GOAWAY, and a closed port is a request not delivered', async () => {
    const up = await upstream();
    const channel = await streamableHttpUpstream({ url: up.url, http2: 'prior-knowledge' })();
    t.add(() => channel.close());
    const got: Message[] = [];
    channel.onmessage = (m) => void got.push(m);
    await channel.send(initialize as Message);
    await channel.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    // Whether the GOAWAY or the next request comes first, that request goes out on a new connection.
    up.goAway();
    await channel.send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    await until(() => got.find((m) => 'id' in m && m.id === 2), 'the answer after GOAWAY');
    expect(up.connections()).toBe(2);

    const gone = await streamableHttpUpstream({ url: 'http://127.0.0.1:1/mcp', http2: 'prior-knowledge' })();
    const sent = await settle(gone.send(initialize as Message));
    expect(sent.ok).toBe(false);
    expect(!sent.ok && isNotDelivered(sent.error)).toBe(true);
  });
});
