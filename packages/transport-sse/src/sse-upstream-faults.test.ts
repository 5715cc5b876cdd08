import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isNotDelivered, LimitReporter, type Channel, type CloseInfo, type Message } from '@mcproxy/core';
import { afterEach, describe, expect, it } from 'vitest';
import { logText, recordingLogger, settle, Teardown, until } from '@mcproxy/testing';
import { sseUpstream, urlUpstream } from './index.js';

// What a hostile or dying legacy SSE upstream does to a link: an answer or a
// clear close, and never a throw that takes the process down.

const t = new Teardown();
afterEach(() => t.run());

const MiB = 1024 * 1024;
const INIT: Message = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

/** Writes `bytes` of one line that never ends, as long as the client reads. */
function flood(res: ServerResponse, bytes: number, unit = 'x'): void {
  const chunk = unit.repeat(64 * 1024);
  for (let sent = 0; sent < bytes && !res.destroyed; sent += chunk.length) res.write(chunk);
}

interface Script {
  /** After the endpoint event (or instead of it, with `endpoint: false`). */
  stream?(res: ServerResponse): void;
  endpoint?: boolean;
  post?(req: IncomingMessage, res: ServerResponse): void;
  /** For Streamable HTTP's POST to the URL itself. */
  probe?(res: ServerResponse): void;
}

/** A bare legacy SSE server on 127.0.0.1 port 0 whose misbehaviour the test writes. */
async function hostile(script: Script) {
  const streams = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    req.resume();
    if (req.method === 'GET' && req.url?.split('?')[0] === '/sse') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      streams.add(res);
      res.once('close', () => streams.delete(res));
      if (script.endpoint !== false) res.write('event: endpoint\ndata: /messages?sessionId=SESSION-SECRET-1\n\n');
      script.stream?.(res);
    } else if (req.method === 'POST' && req.url?.startsWith('/messages') === true) {
      if (script.post !== undefined) script.post(req, res);
      else res.writeHead(202).end('Accepted');
    } else if (req.method === 'POST' && script.probe !== undefined) {
      script.probe(res);
    } else {
      res.writeHead(405).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.add(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/sse`, streams };
}

async function open(connect: () => Promise<Channel>) {
  const channel = await connect();
  t.add(() => channel.close());
  const closes: Array<CloseInfo | undefined> = [];
  const got: Message[] = [];
  channel.onclose = (info) => void closes.push(info);
  channel.onmessage = (m) => void got.push(m);
  return { channel, closes, got };
}

describe('sseUpstream against a hostile upstream', () => {
  it('closes the link, naming the limit, when the stream sends a line that never ends', async () => {
    const up = await hostile({
      stream: (res) =>
        setTimeout(() => {
          res.write('data: ');
          flood(res, 5 * MiB);
        }, 20),
    });
    const log = recordingLogger();
    const limitReporter = new LimitReporter(log);
    const { channel, closes } = await open(sseUpstream({ url: up.url, limits: { upstreamMessageBytes: MiB }, limitReporter, log }));
    await channel.start();
    await until(() => closes.length === 1, 'the link to close');
    expect(closes[0]?.reason).toContain('upstreamMessageBytes');
    expect(closes[0]?.data).toEqual({ limit: 'upstreamMessageBytes', value: MiB });
    expect(limitReporter.count('upstreamMessageBytes')).toBe(1);
    await until(() => up.streams.size === 0, 'the stream to be dropped');
    const after = await settle(channel.send(INIT));
    expect(!after.ok && isNotDelivered(after.error)).toBe(true);
  });

  it('fails start at once, naming the limit, when the line that never ends comes before the endpoint event', async () => {
    const up = await hostile({
      endpoint: false,
      stream: (res) => {
        res.write('event: endpoint\ndata: ');
        flood(res, 5 * MiB);
      },
    });
    const { channel, closes } = await open(sseUpstream({ url: up.url, limits: { upstreamMessageBytes: MiB }, connectTimeoutMs: 60_000 }));
    const started = await settle(channel.start());
    expect(!started.ok && String(started.error)).toMatch(/could not open an SSE stream at .*upstreamMessageBytes \(1048576 bytes\)/);
    expect(closes).toEqual([]);
  });

  it('rejects with NotDeliveredError when a POST gets 404 (the server forgot the session), after closing the link', async () => {
    const up = await hostile({ post: (_req, res) => void res.writeHead(404, { 'content-type': 'text/plain' }).end('Session not found') });
    const { channel, closes } = await open(sseUpstream({ url: up.url }));
    await channel.start();
    const sent = await settle(channel.send(INIT));
    expect(!sent.ok && isNotDelivered(sent.error)).toBe(true);
    expect(closes).toEqual([{ reason: expect.stringContaining('HTTP 404') as string, data: { httpStatus: 404 } }]);
  });

  it("relays a short piece of a refused POST's body, without secrets, with the status in data", async () => {
    const up = await hostile({
      post: (req, res) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.write(`you sent ${String(req.headers.authorization)} to ${String(req.url)} `);
        flood(res, 5 * MiB, 'z');
      },
    });
    const log = recordingLogger();
    const { channel } = await open(sseUpstream({ url: `${up.url}?key=QUERY-SECRET-2`, headers: { Authorization: 'Bearer HEADER-SECRET-3' }, log }));
    await channel.start();
    const sent = await settle(channel.send(INIT));
    const err = (sent.ok ? undefined : sent.error) as Error & { data?: unknown };
    expect(err.message).toContain('(HTTP 500)');
    expect(err.data).toEqual({ httpStatus: 500 });
    expect(err.message.length).toBeLessThan(600);
    expect(`${err.message} ${logText(log.lines)}`).not.toMatch(/SECRET/);
  });

  it('closes the link, saying so, when the upstream ends the stream', async () => {
    const up = await hostile({});
    const { channel, closes } = await open(sseUpstream({ url: up.url }));
    await channel.start();
    for (const res of up.streams) res.end();
    await until(() => closes.length === 1, 'the link to close');
    expect(closes[0]?.reason).toMatch(/SSE stream from .* was ended by the server/);
  });
});

describe('urlUpstream (auto) against a hostile upstream', () => {
  it('answers -32016 for an initialize answer over the limit on the Streamable HTTP probe', async () => {
    const up = await hostile({
      probe: (res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        flood(res, 5 * MiB, '[');
      },
    });
    const limitReporter = new LimitReporter(recordingLogger());
    const { channel, got } = await open(urlUpstream({ url: up.url, limits: { upstreamMessageBytes: MiB }, limitReporter }));
    await channel.start();
    await channel.send(INIT);
    expect(got).toEqual([expect.objectContaining({ id: 0, error: expect.objectContaining({ code: -32016 }) as unknown })]);
    expect(limitReporter.count('upstreamMessageBytes')).toBe(1);
  });

  it('fails the first send, naming the limit, when the fallback SSE stream sends a line that never ends', async () => {
    const up = await hostile({
      endpoint: false,
      probe: (res) => void res.writeHead(404).end(),
      stream: (res) => {
        res.write('data: ');
        flood(res, 5 * MiB);
      },
    });
    const { channel, closes } = await open(urlUpstream({ url: up.url, limits: { upstreamMessageBytes: MiB }, connectTimeoutMs: 60_000 }));
    await channel.start();
    const sent = await settle(channel.send(INIT));
    expect(!sent.ok && String(sent.error)).toMatch(/HTTP 404 to the Streamable HTTP POST, and could not open an SSE stream .*upstreamMessageBytes/);
    expect(closes).toHaveLength(1);
  });

  it('passes NotDeliveredError on when nothing listens, closing the link first', async () => {
    const up = await hostile({});
    const url = up.url;
    await t.run();
    const { channel, closes } = await open(urlUpstream({ url }));
    await channel.start();
    let closedFirst: boolean | undefined;
    const sent = await settle(
      channel.send(INIT).catch((err: unknown) => {
        closedFirst = closes.length === 1;
        throw err;
      }),
    );
    expect(!sent.ok && isNotDelivered(sent.error)).toBe(true);
    expect(closedFirst).toBe(true);
    expect(closes[0]?.reason).toContain('ECONNREFUSED');
  });
});
