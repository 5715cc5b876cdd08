import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { closeClients, rawHttp, StdioFace, startWitness } from '../kit/clients.js';
import { rawPost, rawSession } from '../kit/face-session.js';
import { eventually, hostileStdio, startProxy, stopAll } from '../kit/proxy-process.js';
import { expectSurvived } from '../kit/survived.js';

/**
 * Peak RSS (VmHWM) while 256 MiB of notifications head for a reader that
 * takes none: slowReaderBytes (8 MiB) and eventStoreBytes (64 MiB) by default,
 * over a Node baseline of about 70 MB.
 */
const SLOW_READER_RSS_MB = 300;
/**
 * The proxy runs with a V8 heap of 160 MB here. Left to its defaults on a large
 * machine, V8 lets a few hundred MB of garbage pile up before a full collection,
 * so the peak would say more about the collector than about the proxy (it moved
 * between 290 and 380 MB from run to run). Capped, a proxy that kept the flood
 * would run out of heap and die; one that lets it go stays up, and under the bound.
 */
const SMALL_HEAP = { env: { NODE_OPTIONS: '--max-old-space-size=160' } };
const FLOOD = { count: 4096, bytes: 64 * 1024 };
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await closeClients();
  await stopAll();
});

/** Sends raw bytes and never reads what comes back. */
function neverRead(port: number, request: string): Socket {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => {});
  socket.pause();
  socket.write(request);
  return socket;
}

const marked = (marks: string, what: string): boolean => {
  try {
    return readFileSync(marks, 'utf8').includes(what);
  } catch {
    return false;
  }
};

/**
 * Checks the flood began, then waits (a bounded while) for the upstream to
 * finish it; a proxy that stops taking it (backpressure) is a fine answer too.
 */
async function floodDone(marks: string): Promise<void> {
  expect(await eventually(() => marked(marks, 'flood-start'), 15_000), 'the upstream never began its flood').toBe(true);
  await eventually(() => marked(marks, 'flood-done'), 12_000);
}

describe('fault: slow readers (finding 5)', () => {
  it('a POST stream nobody reads: proxy memory stays bounded and another session keeps working', async () => {
    const proxy = await startProxy(
      (dir) => ({ serve: { http: { port: 0 } }, upstreams: { loud: hostileStdio({ sessionMode: 'per-session', marks: join(dir, 'marks') }) } }),
      SMALL_HEAP,
    );
    const witness = await startWitness(proxy.url!);
    const sessionId = await rawSession(proxy.url!);
    neverRead(
      Number(new URL(proxy.url!).port),
      rawPost(proxy.url!, sessionId, { jsonrpc: '2.0', id: 'flood', method: 'tools/call', params: { name: 'flood', arguments: FLOOD } }),
    );
    await floodDone(join(proxy.dir, 'marks'));
    await expectSurvived(proxy, witness, SLOW_READER_RSS_MB);
  });

  it('a GET stream nobody reads: proxy memory stays bounded and another session keeps working', async () => {
    const proxy = await startProxy(
      (dir) => ({ serve: { http: { port: 0 } }, upstreams: { loud: hostileStdio({ sessionMode: 'per-session', marks: join(dir, 'marks') }) } }),
      SMALL_HEAP,
    );
    const witness = await startWitness(proxy.url!);
    const url = new URL(proxy.url!);
    const sessionId = await rawSession(proxy.url!);
    neverRead(
      Number(url.port),
      [
        `GET ${url.pathname} HTTP/1.1`,
        `Host: ${url.host}`,
        'Accept: text/event-stream',
        `Mcp-Session-Id: ${sessionId}`,
        'MCP-Protocol-Version: 2025-06-18',
        '',
        '',
      ].join('\r\n'),
    );
    // Answered at once; the flood follows when no request is in flight, so it goes to the GET stream.
    const started = await rawHttp(
      Number(url.port),
      rawPost(proxy.url!, sessionId, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'flood_later', arguments: { ...FLOOD, delayMs: 300 } } }),
    );
    expect(started.status).toBe(200);
    await floodDone(join(proxy.dir, 'marks'));
    await expectSurvived(proxy, witness, SLOW_READER_RSS_MB);
  });

  it('a stdio face whose stdout nobody reads: memory stays bounded and an HTTP session keeps working', async () => {
    const proxy = await startProxy(
      (dir) => ({ serve: { stdio: true, http: { port: 0 } }, upstreams: { loud: hostileStdio({ sessionMode: 'per-session', marks: join(dir, 'marks') }) } }),
      { stdio: true, ...SMALL_HEAP },
    );
    const face = new StdioFace(proxy.child);
    await face.handshake();
    const witness = await startWitness(proxy.url!);
    proxy.child.stdout!.pause();
    face.write(JSON.stringify({ jsonrpc: '2.0', id: 'flood', method: 'tools/call', params: { name: 'flood', arguments: FLOOD } }));
    await floodDone(join(proxy.dir, 'marks'));
    await witness.once();
    await expectSurvived(proxy, witness, SLOW_READER_RSS_MB);
  });
});
