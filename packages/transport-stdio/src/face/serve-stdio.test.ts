import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createChannelPair,
  createProxy,
  JSONRPCErrorCode,
  LimitReporter,
  type Channel,
  type Limits,
  type Message,
  type Proxy,
  type Request,
} from '@mcproxy/core';
import { LineQueue } from '../../test/harness.js';
import { RecordingLogger } from '../../test/recording-logger.js';
import { serveStdio, type StdioServer } from '../index.js';

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
  const sides: Channel[] = [];
  const connect = async (): Promise<Channel> => {
    const [proxySide, upstreamSide] = createChannelPair();
    sides.push(upstreamSide);
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
  /** Sends from the upstream's end of its (first) link. */
  const send = (m: Message): Promise<void> => sides[0]!.send(m);
  return { connect, got, waitFor, send };
}

interface SetupOptions {
  maxLineBytes?: number;
  limits?: Partial<Limits>;
  /** When false, nothing reads stdout: a client that stopped reading. */
  read?: boolean;
}

async function setup({ maxLineBytes, limits, read = true }: SetupOptions = {}) {
  const upstream = fakeUpstream();
  const log = new RecordingLogger();
  const proxy = createProxy({ upstreams: [{ name: 'fake', mode: 'shared', connect: upstream.connect }], log });
  proxies.push(proxy);
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const out = read ? new LineQueue(stdout) : undefined;
  const limitReporter = new LimitReporter(log);
  const server: StdioServer = await serveStdio(proxy, { stdin, stdout, maxLineBytes, limits, limitReporter });
  return { upstream, log, stdin, stdout, out: out!, server, limitReporter };
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
    expect(await out.next()).toMatchObject({
      jsonrpc: '2.0',
      id: null,
      error: { code: JSONRPCErrorCode.InvalidRequest, message: expect.stringContaining('batches') },
    });
  });

  it('answers a line longer than the limit with -32700 instead of buffering it', async () => {
    const { stdin, out } = await setup({ maxLineBytes: 64 });
    stdin.write(`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"pad":"${'x'.repeat(100)}"}}\n`);
    expect(await out.next()).toMatchObject({
      id: null,
      error: { code: JSONRPCErrorCode.ParseError, message: expect.stringContaining('longer than the limit of 64') },
    });
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

  it('takes its line limit from limits.clientMessageBytes and reports a hit', async () => {
    const { stdin, out, limitReporter } = await setup({ limits: { clientMessageBytes: 64 } });
    stdin.write(`${'x'.repeat(100)}\n`);
    expect(await out.next()).toMatchObject({
      id: null,
      error: { code: JSONRPCErrorCode.ParseError, message: expect.stringContaining('limit clientMessageBytes (64) reached') },
    });
    expect(limitReporter.count('clientMessageBytes')).toBe(1);
  });
});

/** Resolves once a chunk containing `text` is written to `stream` (the stream itself may never pass it on). */
function written(stream: PassThrough, text: string): Promise<void> {
  return new Promise((resolve) => {
    const write = stream.write;
    stream.write = function watched(this: PassThrough, ...args: Parameters<PassThrough['write']>) {
      if (String(args[0]).includes(text)) {
        stream.write = write;
        resolve();
      }
      return write.apply(this, args);
    } as PassThrough['write'];
  });
}

describe('serveStdio toward a client that stops reading', () => {
  const limit = 16 * 1024;
  const pad = 'x'.repeat(1024);
  const log = (n: number): Message => ({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: `${n} ${pad}` } });

  /** A session whose upstream link is open, on a stdout nobody reads. */
  async function stalled() {
    const s = await setup({ limits: { slowReaderBytes: limit }, read: false });
    const opened = written(s.stdout, '"id":0,');
    s.stdin.write('{"jsonrpc":"2.0","id":0,"method":"tools/list"}\n');
    await opened;
    return s;
  }

  it('drops log notifications past slowReaderBytes, and still writes answers and notifications that matter', async () => {
    const { upstream, stdin, stdout, limitReporter, server } = await stalled();
    for (let n = 0; n < 200; n++) await upstream.send(log(n));
    await upstream.send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
    const answered = written(stdout, '"id":2,');
    stdin.write('{"jsonrpc":"2.0","id":2,"method":"tools/list"}\n');
    await answered;
    // 200 KiB offered; what waits is the limit, one notification over it, and what is never dropped.
    expect(stdout.writableLength).toBeLessThan(limit + 4 * 1024);
    expect(limitReporter.count('slowReaderBytes')).toBeGreaterThan(150);
    expect(server.session.peer.closed).toBe(false);

    const out = new LineQueue(stdout);
    expect(await out.find((l) => l.id === 2)).toMatchObject({ result: { tools: [] } });
    expect(out.lines.some((l) => (l as { method?: string }).method === 'notifications/tools/list_changed')).toBe(true);
    const logs = out.lines.filter((l) => (l as { method?: string }).method === 'notifications/message');
    expect(logs.length).toBeLessThan(50);
  });

  it('closes the session once even what cannot be dropped piles past 4 × slowReaderBytes', async () => {
    const { upstream, stdout, server, log: recorded } = await stalled();
    const big = { jsonrpc: '2.0' as const, method: 'notifications/resources/list_changed', params: { pad } };
    for (let n = 0; n < 200 && !server.session.peer.closed; n++) await upstream.send(big);
    await server.closed;
    expect(stdout.writableLength).toBeLessThan(4 * limit + 4 * 1024);
    expect(await recorded.next((e) => e.msg?.includes('closing the session') === true)).toMatchObject({ level: 'warn' });
  });
});

describe('serveStdio logging bad lines', () => {
  it('answers every bad line but logs at most one a second, saying how many it left out', async () => {
    const { stdin, out, log } = await setup();
    for (let n = 0; n < 50; n++) stdin.write(`not json ${n}\n`);
    for (let n = 0; n < 50; n++) expect(await out.next()).toMatchObject({ id: null, error: { code: JSONRPCErrorCode.ParseError } });
    const warnings = log.entries.filter((e) => e.msg === 'a line on stdin is not JSON');
    // One a second at most: within the test's 20 s timeout, far fewer than one per line.
    expect(warnings.length).toBeLessThan(50);
    expect(warnings[0]!.fields.line).toBe('not json 0');
  });
});
