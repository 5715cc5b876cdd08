import type { Socket } from 'node:net';
import { LimitReporter, silentLogger } from '@mcproxy/core';
import { afterEach, describe, expect, it } from 'vitest';
import { heldMemory, raw, rawSocket, Teardown, until } from '@mcproxy/testing';
import { openSse } from '../test/http.js';
import { serveProxy } from '../test/setup.js';

const t = new Teardown();
afterEach(() => t.run());

/** Everything the server sends until it closes the connection. */
function readAll(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.resume();
  });
}

describe('serveSse under attack and under faults', () => {
  it('answers request targets URL cannot read (they used to throw and kill the process) and keeps serving', async () => {
    const { sse } = await serveProxy(t);
    for (const target of ['//a:99999/', 'http://x:99999/sse', 'http://x:99999/messages?sessionId=1', 'http://[::1/sse']) {
      const socket = await rawSocket(sse.url, t);
      const answer = readAll(socket);
      socket.end(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      expect(await answer).toMatch(/^HTTP\/1\.1 (400|404) /);
    }
    const stream = await openSse(sse.url);
    expect((await stream.next())?.event).toBe('endpoint');
    stream.drop();
  });

  it('survives a client that leaves in the middle of a POST body', async () => {
    const { sse } = await serveProxy(t);
    const stream = await openSse(sse.url);
    const endpoint = (await stream.next())?.data ?? '';
    const socket = await rawSocket(sse.url, t);
    socket.write(`POST ${endpoint} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"jsonrpc":`);
    socket.destroy();
    const ok = await raw(new URL(endpoint, sse.url).href, {
      headers: { 'content-type': 'application/json' },
      body: '{"jsonrpc":"2.0","method":"notifications/initialized"}',
    });
    expect(ok.status).toBe(202);
    stream.drop();
  });

  it('refuses a new session past limits.sessions with 503 and -32016 naming the limit', async () => {
    const limitReporter = new LimitReporter(silentLogger);
    const { sse } = await serveProxy(t, { sse: { limits: { sessions: 1 }, limitReporter } });
    const first = await openSse(sse.url);
    await first.next();
    const second = await raw(sse.url, { method: 'GET', headers: { accept: 'text/event-stream' } });
    expect(second.status).toBe(503);
    expect(second.json()).toMatchObject({ error: { code: -32016, data: { limit: 'sessions', value: 1 } } });
    expect(limitReporter.count('sessions')).toBe(1);
    first.drop();
  });

  it('cuts the stream (and so the session) of a client that stopped reading, instead of buffering a flood', async () => {
    const limitReporter = new LimitReporter(silentLogger);
    const { sse, proxy } = await serveProxy(t, { sse: { limits: { slowReaderBytes: 256 * 1024 }, limitReporter } });
    const socket = await rawSocket(sse.url, t);
    const head = new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.write('GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n');
    await head;
    socket.pause();
    const core = await until(() => [...proxy.sessions][0], 'the session');
    const padding = 'x'.repeat(10_000);
    const before = heldMemory();
    // 20,000 notifications of 10 kB: 200 MB.
    for (let i = 0; i < 20_000 && proxy.sessions.size > 0; i++) {
      await core.peer.notify({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: { i, padding } } }).catch(() => undefined);
    }
    expect(heldMemory() - before).toBeLessThan(100 * 1024 * 1024);
    expect(limitReporter.count('slowReaderBytes')).toBe(1);
    await until(() => proxy.sessions.size === 0, 'the cut session to close');
  }, 60_000);
});
