import { connect as netConnect } from 'node:net';
import { constants, type ClientHttp2Session } from 'node:http2';
import { LimitReporter, silentLogger } from '@mcproxy/core';
import { afterEach, describe, expect, it } from 'vitest';
import { deferred, initialize, Teardown, until } from '@mcproxy/testing';
import { connectH2, h2Events, h2Post, h2Request, h2Stream } from '../../test/h2-client.js';
import { serveProxy } from '../../test/setup.js';

const t = new Teardown();
afterEach(() => t.run());

const call = (id: number, name = 'hello') => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } });

/** A 2025-11-25 session opened on `h2`: the headers its requests carry. */
async function open(h2: ClientHttp2Session): Promise<Record<string, string>> {
  const init = await h2Post(h2, '/mcp', initialize());
  const headers = { 'mcp-session-id': String(init.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' };
  await h2Post(h2, '/mcp', { jsonrpc: '2.0', method: 'notifications/initialized' }, headers);
  return headers;
}

/** How a stream ended: its status and body if it was answered, and its reset code (0 when none, or `NO_ERROR`). */
function outcome(stream: ReturnType<typeof h2Stream>): Promise<{ status?: number; text?: string; rst: number }> {
  return new Promise((resolve) => {
    let status: number | undefined;
    let text = '';
    stream.once('response', (h) => void (status = Number(h[':status'])));
    stream.on('error', () => undefined);
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => void (text += chunk));
    stream.once('close', () => resolve({ ...(status === undefined ? {} : { status, text }), rst: stream.rstCode ?? 0 }));
  });
}

describe('the limits per stream on HTTP/2', () => {
  it('answers a body over clientMessageBytes 413 on its stream only: the other streams of the connection go on', async () => {
    const reporter = new LimitReporter(silentLogger);
    const { http } = await serveProxy(t, { http: { http2: true, limits: { clientMessageBytes: 1024 }, limitReporter: reporter } });
    const h2 = await connectH2(t, http.url);
    const headers = await open(h2);
    const listen = h2Events(h2Stream(h2, '/mcp', { headers: { ...headers, accept: 'text/event-stream' } }));
    expect((await listen.response)[':status']).toBe(200);
    // A client that sends a large body in full, declared or not.
    const big = Buffer.alloc(2 * 1024 * 1024, 'x');
    for (const declared of [true, false]) {
      const stream = h2Stream(h2, '/mcp', {
        method: 'POST',
        headers: { ...post(headers), ...(declared ? { 'content-length': String(big.length) } : {}) },
        body: big,
      });
      // The answer comes whole, then the stream is reset with NO_ERROR: the client stops sending (it would wait on flow control for ever).
      const refused = await outcome(stream);
      expect(refused).toMatchObject({ status: 413, rst: constants.NGHTTP2_NO_ERROR });
      expect(JSON.parse(refused.text ?? '')).toMatchObject({ error: { code: -32016, data: { limit: 'clientMessageBytes', value: 1024 } } });
    }
    expect(reporter.count('clientMessageBytes')).toBe(2);
    expect(h2.destroyed || h2.closed).toBe(false);
    expect((await h2Post(h2, '/mcp', call(2), headers)).message()).toMatchObject({ id: 2, result: { content: [{ text: 'hello from upstream' }] } });
    // The GET stream opened before is still there.
    await h2Request(h2, '/mcp', { method: 'DELETE', headers });
    expect(await listen.next()).toBeUndefined();
  });

  it('bounds streams: maxConcurrentStreams per connection (in its settings), limits.connections over all (past it REFUSED_STREAM, counted)', async () => {
    const reporter = new LimitReporter(silentLogger);
    const gate = deferred();
    let waiting = 0;
    const hold = () => {
      waiting++;
      return gate.promise;
    };
    const { http } = await serveProxy(t, {
      hooks: { gate: hold },
      http: { http2: { maxConcurrentStreams: 7 }, limits: { connections: 3 }, limitReporter: reporter },
    });
    const h2 = await connectH2(t, http.url);
    await until(() => h2.remoteSettings.maxConcurrentStreams === 7, 'the server settings');
    const headers = await open(h2);
    // Three calls held upstream take the three streams limits.connections allows; the fourth is refused.
    const held = [1, 2, 3].map((id) => outcome(h2Stream(h2, '/mcp', { method: 'POST', headers: post(headers), body: JSON.stringify(call(id, 'wait')) })));
    await until(() => waiting === 3, 'the three calls to be held upstream');
    const other = await connectH2(t, http.url);
    const refused = await outcome(h2Stream(other, '/mcp', { method: 'POST', headers: post(headers), body: JSON.stringify(call(4)) }));
    expect(refused).toEqual({ rst: constants.NGHTTP2_REFUSED_STREAM });
    expect(reporter.count('connections')).toBe(1);
    gate.resolve();
    expect((await Promise.all(held)).map((o) => o.status)).toEqual([200, 200, 200]);
    expect((await h2Post(other, '/mcp', call(5), headers)).status).toBe(200);

    const defaults = await serveProxy(t, { http: { http2: true } });
    const plain = await connectH2(t, defaults.http.url);
    await until(() => plain.remoteSettings.maxConcurrentStreams === 100, 'the default bound of 100');
  });

  it('completes 100 concurrent calls on one connection', async () => {
    const { http } = await serveProxy(t, { http: { http2: true } });
    const h2 = await connectH2(t, http.url);
    const headers = await open(h2);
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => h2Post(h2, '/mcp', call(10 + i), headers)));
    expect(answers.map((a) => a.message().id)).toEqual(Array.from({ length: 100 }, (_, i) => 10 + i));
    expect(answers.every((a) => a.status === 200)).toBe(true);
  });

  it('closes a silent connection after headersTimeoutMs, a session with no stream too, and resets a stream whose body stalls', async () => {
    const { http } = await serveProxy(t, { http: { http2: true, limits: { headersTimeoutMs: 300, bodyTimeoutMs: 300 } } });
    const { port } = new URL(http.url);
    const silent = netConnect(Number(port), '127.0.0.1');
    t.add(async () => void silent.destroy());
    const silentClosed = new Promise<void>((resolve) => silent.once('close', () => resolve()));
    const idle = await connectH2(t, http.url);
    const idleClosed = new Promise<void>((resolve) => idle.once('close', () => resolve()));
    const busy = await connectH2(t, http.url);
    const headers = await open(busy);
    const stalled = busy.request({ ':method': 'POST', ':path': '/mcp', ...post(headers) });
    stalled.write('{"jsonrpc"');
    const ended = await outcome(stalled);
    expect(ended.rst).toBe(constants.NGHTTP2_CANCEL);
    await Promise.all([silentClosed, idleClosed]);
    // The stalled stream cost itself only.
    expect((await h2Post(busy, '/mcp', call(2), headers)).status).toBe(200);
  });

  it('cuts an event stream whose reader stopped reading (slowReaderBytes) and keeps the connection', async () => {
    const reporter = new LimitReporter(silentLogger);
    const { http, proxy } = await serveProxy(t, { http: { http2: true, limits: { slowReaderBytes: 128 * 1024 }, limitReporter: reporter } });
    const h2 = await connectH2(t, http.url);
    const headers = await open(h2);
    const listen = h2Stream(h2, '/mcp', { headers: { ...headers, accept: 'text/event-stream' } });
    await new Promise((resolve) => listen.once('response', resolve));
    listen.pause();
    const cut = new Promise<number>((resolve) => listen.once('close', () => resolve(listen.rstCode ?? 0)));
    listen.on('error', () => undefined);
    const [core] = [...proxy.sessions];
    const padding = 'x'.repeat(10_000);
    for (let i = 0; i < 100 && reporter.count('slowReaderBytes') === 0; i++) {
      await core?.peer.notify({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: { i, padding } } });
    }
    expect(reporter.count('slowReaderBytes')).toBe(1);
    expect(await cut).toBe(constants.NGHTTP2_CANCEL);
    expect((await h2Post(h2, '/mcp', call(2), headers)).status).toBe(200);
  });

  it('close() tells every connection GOAWAY, lets the call under way finish, and ends', async () => {
    const gate = deferred();
    const { http } = await serveProxy(t, { hooks: { gate: () => gate.promise }, http: { http2: true, closeGraceMs: 5000 } });
    const h2 = await connectH2(t, http.url);
    const headers = await open(h2);
    const goaway = new Promise<void>((resolve) => h2.once('goaway', () => resolve()));
    const waiting = h2Post(h2, '/mcp', call(2, 'wait'), headers);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = http.close();
    await goaway;
    gate.resolve();
    // Answered (by the upstream, or by the session's end), not cut.
    const answer = await waiting;
    expect(answer.status).toBe(200);
    expect(answer.message()).toMatchObject({ id: 2 });
    await closed;
    await until(() => h2.closed || h2.destroyed, 'the connection to end');
  });
});

/** The headers of a POST on the session `headers` names. */
function post(headers: Record<string, string>): Record<string, string> {
  return { ...headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
}
