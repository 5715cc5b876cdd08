import type { ServerResponse } from 'node:http';
import { createServer } from 'node:net';
import { isNotDelivered, LimitReporter, type CloseInfo, type Message, type MessageExtra } from '@mcproxy/core';
import { afterEach, describe, expect, it } from 'vitest';
import { logText, recordingLogger, settle, Teardown, until } from '@mcproxy/testing';
import { SCRIPTED_VERSION as VERSION, sessionUpstream, sseHead } from '../../test/scripted-upstream.js';
import { streamableHttpUpstream, type UpstreamChannel } from '../index.js';

// What a hostile or dying upstream does to the client side of a link: each
// case must end in an answer or a clear rejection, and never in a throw.

const t = new Teardown();
afterEach(() => t.run());

const MiB = 1024 * 1024;
const initialize = {
  jsonrpc: '2.0' as const,
  id: 0,
  method: 'initialize',
  params: { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};
const initialized = { jsonrpc: '2.0' as const, method: 'notifications/initialized' };
const call = { jsonrpc: '2.0' as const, id: 'call-1', method: 'tools/call', params: { name: 'big', arguments: {} } };

async function connect(url: string, headers?: Record<string, string>) {
  const log = recordingLogger();
  const limitReporter = new LimitReporter(log);
  const channel = (await streamableHttpUpstream({
    url,
    headers,
    log,
    closeTimeoutMs: 500,
    limits: { upstreamMessageBytes: MiB },
    limitReporter,
  })()) as UpstreamChannel;
  t.add(() => channel.close());
  const got: Array<[Message, MessageExtra | undefined]> = [];
  const closes: Array<CloseInfo | undefined> = [];
  channel.onmessage = (m, extra) => void got.push([m, extra]);
  channel.onclose = (info) => void closes.push(info);
  await channel.start();
  return { channel, got, log, closes, limitReporter };
}

/** Writes `bytes` of `unit` repeated, without ever ending a line, as long as the client reads. */
function flood(res: ServerResponse, bytes: number, unit = 'x'): void {
  const chunk = unit.repeat((64 * 1024) / unit.length);
  for (let sent = 0; sent < bytes && !res.destroyed; sent += chunk.length) res.write(chunk);
}

/** A port nothing listens on. */
async function deadPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const errorOf = (got: Array<[Message, MessageExtra | undefined]>, id: string) =>
  got.map(([m]) => m).find((m) => 'id' in m && m.id === id && 'error' in m) as
    | { error: { code: number; message: string; data: Record<string, unknown> } }
    | undefined;

describe('an upstream that sends too much', () => {
  it('answers -32016 when a POST stream sends a data line that never ends, and drops the stream', async () => {
    const up = await sessionUpstream(t, (hit, res) => {
      if (hit.body?.method !== 'tools/call') return false;
      sseHead(res);
      res.write('id: s.1\ndata: ');
      flood(res, 5 * MiB);
      return true;
    });
    const { channel, got, limitReporter } = await connect(up.url);
    await channel.send(initialize);
    await channel.send(call);
    const error = errorOf(got, 'call-1');
    expect(error?.error).toMatchObject({ code: -32016, data: { limit: 'upstreamMessageBytes', value: MiB } });
    expect(error?.error.message).toContain('limit upstreamMessageBytes (1048576) reached');
    expect(limitReporter.count('upstreamMessageBytes')).toBe(1);
    const post = up.hits.find((h) => h.body?.method === 'tools/call')!;
    await until(() => post.closed, 'the stream to be dropped');
    // Resuming would only replay the same event.
    expect(up.hits.filter((h) => h.method === 'GET')).toHaveLength(0);
  });

  it('answers -32016 when one event has too many data lines', async () => {
    const up = await sessionUpstream(t, (hit, res) => {
      if (hit.body?.method !== 'tools/call') return false;
      sseHead(res);
      for (let i = 0; i < 40 && !res.destroyed; i++) res.write(`data: ${'y'.repeat(64 * 1024)}\n`);
      return true;
    });
    const { channel, got } = await connect(up.url);
    await channel.send(initialize);
    await channel.send(call);
    expect(errorOf(got, 'call-1')?.error.code).toBe(-32016);
  });

  it.each([
    ['with', true],
    ['without', false],
  ])('answers -32016 for a JSON body over the limit, %s Content-Length', async (_how, declared) => {
    const up = await sessionUpstream(t, (hit, res) => {
      if (hit.body?.method !== 'tools/call') return false;
      res.writeHead(200, { 'content-type': 'application/json', ...(declared ? { 'content-length': String(5 * MiB) } : {}) });
      flood(res, 5 * MiB, '[');
      return true;
    });
    const { channel, got, limitReporter } = await connect(up.url);
    await channel.send(initialize);
    await channel.send(call);
    expect(errorOf(got, 'call-1')?.error).toMatchObject({ code: -32016, data: { limit: 'upstreamMessageBytes', value: MiB } });
    expect(limitReporter.count('upstreamMessageBytes')).toBe(1);
    // The link is still good for the next request.
    await channel.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  });

  it('closes the link, saying why, when the GET stream sends an event over the limit', async () => {
    const up = await sessionUpstream(t, (hit, res) => {
      if (hit.method !== 'GET') return false;
      sseHead(res);
      res.write('data: ');
      flood(res, 5 * MiB);
      return true;
    });
    const { channel, closes } = await connect(up.url);
    await channel.send(initialize);
    await channel.send(initialized);
    await until(() => closes.length === 1, 'the link to close');
    expect(closes[0]?.reason).toContain('upstreamMessageBytes');
    expect(closes[0]?.data).toEqual({ limit: 'upstreamMessageBytes', value: MiB });
    // The upstream still has the session: it is ended.
    await until(() => up.hits.find((h) => h.method === 'DELETE'), 'the DELETE');
  });

  it("relays at most a short, scrubbed piece of a refusal's body, with the status in data", async () => {
    const up = await sessionUpstream(t, (hit, res) => {
      if (hit.body?.method !== 'tools/call') return false;
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.write(`you sent ${String(hit.headers.authorization)} to ${hit.path} `);
      flood(res, 5 * MiB, 'z');
      return true;
    });
    const { channel, log } = await connect(`${up.url}?key=QUERY-SECRET-1`, { Authorization: 'Bearer HEADER-SECRET-2' });
    await channel.send(initialize);
    const sent = await settle(channel.send(call));
    const err = (sent.ok ? undefined : sent.error) as Error & { data?: unknown };
    expect(err.message).toContain('(HTTP 500)');
    expect(err.data).toEqual({ httpStatus: 500 });
    expect(err.message.length).toBeLessThan(600);
    expect(`${err.message} ${logText(log.lines)}`).not.toMatch(/SECRET/);
  });
});

describe('an upstream that restarted or died', () => {
  it('rejects with NotDeliveredError on a 404 for its session, after closing the link with the status', async () => {
    const up = await sessionUpstream(t, (hit, res) => {
      if (hit.body?.method !== 'tools/call') return false;
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"Session not found"}}');
      return true;
    });
    const { channel, closes } = await connect(up.url);
    await channel.send(initialize);
    let closedFirst: boolean | undefined;
    const sent = await settle(
      channel.send(call).catch((err: unknown) => {
        closedFirst = closes.length === 1;
        throw err;
      }),
    );
    expect(!sent.ok && isNotDelivered(sent.error)).toBe(true);
    expect(closedFirst).toBe(true);
    expect(closes).toEqual([{ reason: expect.stringContaining('HTTP 404') as string, data: { httpStatus: 404 } }]);
    // Nothing to end: the upstream forgot the session.
    expect(up.hits.filter((h) => h.method === 'DELETE')).toHaveLength(0);
    // Nothing left to send on: surely not delivered either.
    const after = await settle(channel.send(call));
    expect(!after.ok && isNotDelivered(after.error)).toBe(true);
  });

  it('rejects with NotDeliveredError when nothing listens, and closes the link', async () => {
    const port = await deadPort();
    const { channel, closes } = await connect(`http://127.0.0.1:${port}/mcp`);
    const sent = await settle(channel.send(initialize));
    expect(!sent.ok && isNotDelivered(sent.error)).toBe(true);
    expect(String(!sent.ok && sent.error)).toContain('ECONNREFUSED');
    expect(closes).toHaveLength(1);
    expect(closes[0]).toMatchObject({ data: { code: 'ECONNREFUSED' } });
  });

  it('rejects with a plain error when the connection drops after the request went out (it may have been processed)', async () => {
    const up = await sessionUpstream(t, (hit, res) => {
      if (hit.body?.method !== 'tools/call') return false;
      res.socket?.destroy();
      return true;
    });
    const { channel } = await connect(up.url);
    await channel.send(initialize);
    const sent = await settle(channel.send(call));
    expect(sent.ok).toBe(false);
    expect(isNotDelivered(!sent.ok && sent.error)).toBe(false);
  });

  it('does not call a request undelivered when its kept-alive socket was reset and the retry is refused: the server may have read it', async () => {
    const up = await sessionUpstream(t, (hit) => {
      if (hit.body?.method !== 'tools/call') return false;
      // The upstream dies with the request read: no more listening, and its connections cut.
      void up.close();
      return true;
    });
    const { channel } = await connect(up.url);
    await channel.send(initialize);
    const sent = await settle(channel.send(call));
    expect(String(!sent.ok && sent.error)).toContain('ECONNREFUSED');
    expect(isNotDelivered(!sent.ok && sent.error)).toBe(false);
  });

  it('gives up resuming at the first refused connection, closing the link, instead of backing off', async () => {
    const up = await sessionUpstream(t, (hit, res) => {
      if (hit.body?.method !== 'tools/call') return false;
      sseHead(res);
      res.write('id: s.1\ndata: \n\n');
      // The upstream dies: the stream is cut and nothing listens any more.
      setTimeout(() => void up.close(), 20);
      return true;
    });
    const { channel, closes } = await connect(up.url);
    await channel.send(initialize);
    const started = Date.now();
    const sent = await settle(channel.send(call));
    const took = Date.now() - started;
    expect(sent.ok).toBe(false);
    // The request did reach the upstream: core must say "closed before answering", not "not sent".
    expect(isNotDelivered(!sent.ok && sent.error)).toBe(false);
    expect(String(!sent.ok && sent.error)).toMatch(/cannot be resumed.*ECONNREFUSED/);
    expect(closes).toHaveLength(1);
    expect(closes[0]?.reason).toContain('ECONNREFUSED');
    // Backing off (250 + 500 + 1000 ms) took 1.8 s; a generous bound for a slow machine.
    expect(took).toBeLessThan(1500);
  });
});
