import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createChannelPair, createProxy, JSONRPCErrorCode, type Channel, type Message, type Proxy, type Request } from '@mcproxy/core';
import { LineQueue } from '../test/harness.js';
import { RecordingLogger } from '../test/recording-logger.js';
import { serveStdio, type StdioServer } from './index.js';

const proxies: Proxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

/**
 * An in-memory upstream: answers `tools/list` at once, never answers
 * `tools/call` (so tests can have a request in flight), and keeps what it got.
 */
function fakeUpstream() {
  const got: Message[] = [];
  let arrived: (() => void) | undefined;
  const connect = async (): Promise<Channel> => {
    const [proxySide, upstreamSide] = createChannelPair();
    upstreamSide.onmessage = (m) => {
      got.push(m);
      arrived?.();
      if ('method' in m && m.method === 'tools/list' && 'id' in m) {
        void upstreamSide.send({ jsonrpc: '2.0', id: (m as Request).id, result: { tools: [] } });
      }
    };
    await upstreamSide.start();
    return proxySide;
  };
  const waitFor = async (method: string): Promise<Message> => {
    for (;;) {
      const found = got.find((m) => 'method' in m && m.method === method);
      if (found !== undefined) return found;
      await new Promise<void>((resolve) => (arrived = resolve));
    }
  };
  return { connect, got, waitFor };
}

async function setup(maxLineBytes?: number) {
  const upstream = fakeUpstream();
  const log = new RecordingLogger();
  const proxy = createProxy({ upstreams: [{ name: 'fake', mode: 'shared', connect: upstream.connect }], log });
  proxies.push(proxy);
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const out = new LineQueue(stdout);
  const server: StdioServer = await serveStdio(proxy, { stdin, stdout, maxLineBytes });
  return { upstream, log, stdin, stdout, out, server };
}

describe('serveStdio', () => {
  it('answers a request written to stdin on stdout', async () => {
    const { stdin, out } = await setup();
    stdin.write('{"jsonrpc":"2.0","id":1,"method":"tools/list"}\n');
    expect(await out.next()).toEqual({ jsonrpc: '2.0', id: 1, result: { tools: [] } });
  });

  it('reads messages split across chunks, several in one chunk, and CRLF endings', async () => {
    const { stdin, out } = await setup();
    stdin.write('{"jsonrpc":"2.0","id":"a","met');
    stdin.write('hod":"tools/list"}\r\n{"jsonrpc":"2.0","id":"b","method":"tools/list"}\n\n');
    const ids = [await out.next(), await out.next()].map((m) => (m as { id: string }).id).sort();
    expect(ids).toEqual(['a', 'b']);
  });

  it('answers a line that is not JSON with -32700 and id null, and keeps serving', async () => {
    const { stdin, out } = await setup();
    stdin.write('this is not json\n');
    const reply = (await out.next()) as { id: unknown; error: { code: number; message: string } };
    expect(reply.id).toBeNull();
    expect(reply.error.code).toBe(JSONRPCErrorCode.ParseError);
    expect(reply.error.message).toMatch(/^Parse error/);
    stdin.write('{"jsonrpc":"2.0","id":2,"method":"tools/list"}\n');
    expect(await out.next()).toMatchObject({ id: 2, result: { tools: [] } });
  });

  it('answers JSON that is not a JSON-RPC message with -32600', async () => {
    const { stdin, out } = await setup();
    stdin.write('{"jsonrpc":"1.0","id":5,"method":"tools/list"}\n');
    expect(await out.next()).toMatchObject({ jsonrpc: '2.0', id: 5, error: { code: JSONRPCErrorCode.InvalidRequest } });
    stdin.write('{"jsonrpc":"2.0","id":6,"method":42}\n');
    expect(await out.next()).toMatchObject({ jsonrpc: '2.0', id: 6, error: { code: JSONRPCErrorCode.InvalidRequest } });
    stdin.write('42\n');
    expect(await out.next()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: JSONRPCErrorCode.InvalidRequest } });
    stdin.write('[{"jsonrpc":"2.0","id":7,"method":"tools/list"}]\n');
    expect(await out.next()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: JSONRPCErrorCode.InvalidRequest, message: expect.stringContaining('batches') } });
  });

  it('answers a line longer than the limit with -32700 instead of buffering it', async () => {
    const { stdin, out } = await setup(64);
    stdin.write(`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"pad":"${'x'.repeat(100)}"}}\n`);
    expect(await out.next()).toMatchObject({ id: null, error: { code: JSONRPCErrorCode.ParseError, message: expect.stringContaining('longer than the limit of 64') } });
    stdin.write('{"jsonrpc":"2.0","id":2,"method":"tools/list"}\n');
    expect(await out.next()).toMatchObject({ id: 2 });
  });

  it('closes the session when stdin ends, cancelling what is in flight upstream', async () => {
    const { stdin, server, upstream } = await setup();
    stdin.write('{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"slow"}}\n');
    const call = (await upstream.waitFor('tools/call')) as Request;
    stdin.end();
    await server.closed;
    expect(server.session.peer.closed).toBe(true);
    const cancelled = await upstream.waitFor('notifications/cancelled');
    expect(cancelled).toMatchObject({ params: { requestId: call.id } });
  });

  it('closes the session when stdout fails (the client went away)', async () => {
    const { stdout, server } = await setup();
    stdout.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    await server.closed;
    expect(server.session.peer.closed).toBe(true);
  });

  it('close() ends the session and leaves stdout open for its owner', async () => {
    const { server, stdout } = await setup();
    await server.close();
    await server.closed;
    expect(server.session.peer.closed).toBe(true);
    expect(stdout.writableEnded).toBe(false);
  });

  it('logs through the logger it is given, never on stdout', async () => {
    const { stdin, out, log } = await setup();
    stdin.write('garbage\n');
    await out.next();
    const warning = await log.next((e) => e.level === 'warn');
    expect(warning.fields).toMatchObject({ transport: 'stdio', line: 'garbage' });
    expect(out.lines).toHaveLength(1);
  });
});
