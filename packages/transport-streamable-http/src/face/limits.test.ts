import type { Socket } from 'node:net';
import { LimitReporter } from '@mcproxy/core';
import { afterEach, describe, expect, it } from 'vitest';
import { heldMemory, initialize, post, rawSocket, Teardown } from '@mcproxy/testing';
import { serveProxy } from '../../test/setup.js';
import type { HttpAuthenticator } from '../index.js';

const t = new Teardown();
afterEach(() => t.run());

/** Everything the server sends until it closes the connection. */
function readAll(socket: Socket): Promise<{ text: string; error: Error | undefined }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let error: Error | undefined;
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err) => void (error = err));
    socket.on('close', () => resolve({ text: Buffer.concat(chunks).toString('utf8'), error }));
    socket.resume();
  });
}

async function session(url: string): Promise<Record<string, string>> {
  const init = await post(url, initialize());
  const headers = { 'mcp-session-id': String(init.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' };
  await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers);
  return headers;
}

describe('serveStreamableHttp under attack and under faults', () => {
  it('answers request targets URL cannot read (bad ports, absolute form) and keeps serving', async () => {
    const { http } = await serveProxy(t);
    for (const target of ['//a:99999/', 'http://x:99999/mcp', 'http://[::1/mcp']) {
      const socket = await rawSocket(http.url, t);
      const answer = readAll(socket);
      socket.end(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      expect((await answer).text).toMatch(/^HTTP\/1\.1 (400|404) /);
    }
    expect((await post(http.url, initialize())).status).toBe(200);
  });

  it('answers CONNECT and Upgrade requests with a status instead of dropping the connection', async () => {
    const { http } = await serveProxy(t);
    const { host } = new URL(http.url);
    const requests = [
      `CONNECT ${host} HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
      `GET /mcp HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`,
    ];
    for (const request of requests) {
      const socket = await rawSocket(http.url, t);
      const answer = readAll(socket);
      socket.write(request);
      expect((await answer).text).toMatch(/^HTTP\/1\.1 (400|405) [\s\S]*not supported/);
    }
    expect((await post(http.url, initialize())).status).toBe(200);
  });

  it('refuses a new session past limits.sessions with 503 and -32016 naming the limit, and counts the hit', async () => {
    const limitReporter = new LimitReporter({
      debug() {},
      info() {},
      warn() {},
      error() {},
      child() {
        return this;
      },
    });
    const { http, proxy } = await serveProxy(t, { http: { limits: { sessions: 2 }, limitReporter } });
    await session(http.url);
    await session(http.url);
    const third = await post(http.url, initialize());
    expect(third.status).toBe(503);
    expect(third.json()).toMatchObject({ error: { code: -32016, data: { limit: 'sessions', value: 2 } } });
    expect(proxy.sessions.size).toBe(2);
    expect(limitReporter.count('sessions')).toBe(1);
  });

  it('refuses one principal a session past limits.sessionsPerPrincipal (429, -32016), so it cannot fill the pool; another principal still gets one', async () => {
    const auth: HttpAuthenticator = {
      documents: new Map(),
      authenticate: async (headers) => ({ ok: true, principal: { id: String(headers['x-who']), kind: 'api-key', scopes: [], claims: {} } }),
    };
    // The defaults: 1000 sessions, 100 of them per principal.
    const { http, proxy } = await serveProxy(t, { http: { auth } });
    const open = (who: string) => post(http.url, initialize(), { 'x-who': who });
    for (let i = 0; i < 10; i++) {
      const batch = await Promise.all(Array.from({ length: 10 }, () => open('mallory')));
      expect(batch.map((r) => r.status)).toEqual(Array(10).fill(200));
    }
    const over = await open('mallory');
    expect(over.status).toBe(429);
    expect(over.json()).toMatchObject({ error: { code: -32016, data: { limit: 'sessionsPerPrincipal', value: 100 } } });
    expect((await open('alice')).status).toBe(200);
    expect(proxy.sessions.size).toBe(101);
  });

  it('takes a verdict at once or as a promise alike, and answers an authenticator that throws or rejects 500 without stopping', async () => {
    const who = (id: string) => ({ ok: true as const, principal: { id, kind: 'api-key' as const, scopes: [], claims: {} } });
    const auth: HttpAuthenticator = {
      documents: new Map(),
      authenticate: (headers) => {
        const how = headers['x-how'];
        if (how === 'at-once') return who('alice');
        if (how === 'later') return Promise.resolve(who('bob'));
        if (how === 'throws') throw new Error('the key table is broken');
        if (how === 'rejects') return Promise.reject(new Error('the issuer is broken'));
        return { ok: false, status: 401, headers: { 'WWW-Authenticate': 'Bearer realm="t"' }, message: 'Unauthorized: who are you?', reason: 'missing' };
      },
    };
    const { http, proxy } = await serveProxy(t, { http: { auth, limits: { sessionsPerPrincipal: 1 } } });
    const open = (how: string) => post(http.url, initialize(), { 'x-how': how });
    expect((await open('at-once')).status).toBe(200);
    expect((await open('later')).status).toBe(200);
    // Each principal kept its session: a second one is over its share, whichever way the verdict came.
    expect((await open('at-once')).status).toBe(429);
    expect((await open('later')).status).toBe(429);
    const refused = await open('nobody');
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="t"');
    for (const how of ['throws', 'rejects']) {
      const failed = await open(how);
      expect(failed.status).toBe(500);
      expect(failed.json()).toMatchObject({ error: { message: 'Internal error: the proxy could not handle this request' } });
    }
    expect(proxy.sessions.size).toBe(2);
    expect([...proxy.sessions].map((s) => s.principal?.id).sort()).toEqual(['alice', 'bob']);
  });

  it('reads the rest of a refused body before answering 413, so a client that reads only after sending gets the answer', async () => {
    const { http } = await serveProxy(t, { http: { limits: { clientMessageBytes: 1024 } } });
    const socket = await rawSocket(http.url, t);
    // Like most HTTP clients (the Python SDK's among them): send the whole body, then read.
    socket.pause();
    const body = Buffer.alloc(900 * 1024, 'x');
    socket.write(
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    const written = await new Promise<Error | undefined>((resolve) => socket.write(body, (err) => resolve(err ?? undefined)));
    expect(written).toBeUndefined();
    const { text, error } = await readAll(socket);
    expect(error).toBeUndefined();
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(text).toContain('"limit":"clientMessageBytes"');
  });

  it('closes a connection that never sends a byte after limits.headersTimeoutMs, and one that stalls mid-body after the request timeout', async () => {
    const { http } = await serveProxy(t, { http: { limits: { headersTimeoutMs: 300, bodyTimeoutMs: 300 }, timeoutCheckMs: 50 } });
    const silent = await rawSocket(http.url, t);
    const stalled = await rawSocket(http.url, t);
    stalled.write('POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"jsonrpc"');
    // Generous bounds: this proves the sockets are closed at all (Node's defaults would hold them 60 s and 300 s).
    await Promise.all(
      [readAll(silent), readAll(stalled)].map((closed) =>
        Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error('connection still open')), 20_000))]),
      ),
    );
  });

  it('caps connections at limits.connections', async () => {
    const { http } = await serveProxy(t, { http: { limits: { connections: 2 } } });
    expect(http.server.maxConnections).toBe(2);
  });

  it('cuts a GET stream whose reader stopped reading, instead of buffering what the upstream floods it with', async () => {
    const limitReporter = new LimitReporter({
      debug() {},
      info() {},
      warn() {},
      error() {},
      child() {
        return this;
      },
    });
    const { http, proxy } = await serveProxy(t, { http: { limits: { slowReaderBytes: 256 * 1024, eventStoreBytes: 4 * 1024 * 1024 }, limitReporter } });
    const headers = await session(http.url);
    const socket = await rawSocket(http.url, t);
    const head = new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.write(
      `GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nMcp-Session-Id: ${headers['mcp-session-id']}\r\nMcp-Protocol-Version: 2025-11-25\r\n\r\n`,
    );
    await head;
    // From here on the client reads nothing.
    socket.pause();
    const [core] = [...proxy.sessions];
    const padding = 'x'.repeat(10_000);
    const before = heldMemory();
    // 20,000 notifications of 10 kB: 200 MB that would sit in the proxy's memory.
    for (let i = 0; i < 20_000; i++) {
      await core?.peer.notify({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: { i, padding } } });
    }
    const grown = heldMemory() - before;
    // Bounded by the event store (4 MB here) and the cut stream's buffer, not by what was sent.
    expect(grown).toBeLessThan(100 * 1024 * 1024);
    expect(limitReporter.count('slowReaderBytes')).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
