import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Channel, Message, MessageExtra } from '@mcproxy/core';
import { describe, expect, it } from 'vitest';
import { recordingLogger, settle, until } from '@mcproxy/testing';
import { AutoChannel, isOldServerAnswer, type UrlTransport } from './auto-channel.js';

/** A wire that records what it is given and fails its sends with `refuse`, if set. */
class FakeChannel implements Channel {
  onmessage?: ((message: Message, extra?: MessageExtra) => void) | undefined;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  readonly sent: Message[] = [];
  started = false;
  closed = false;
  /** Held sends resolve only when this does. */
  gate: Promise<void> = Promise.resolve();

  constructor(readonly refuse?: Error) {}

  async start(): Promise<void> {
    this.started = true;
  }

  async send(message: Message): Promise<void> {
    if (this.refuse !== undefined) throw this.refuse;
    await this.gate;
    this.sent.push(message);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onclose?.();
  }
}

const INIT: Message = { jsonrpc: '2.0', id: 0, method: 'initialize', params: {} };

function auto(channels: Partial<Record<UrlTransport, FakeChannel>>, known?: UrlTransport) {
  const learned: Array<UrlTransport | undefined> = [];
  const opened: UrlTransport[] = [];
  const open = (kind: UrlTransport) => async (): Promise<Channel> => {
    opened.push(kind);
    const channel = channels[kind];
    if (channel === undefined) throw new Error(`no ${kind} channel in this test`);
    return channel;
  };
  const log = recordingLogger();
  const channel = new AutoChannel({
    where: 'http://127.0.0.1:1/mcp',
    log,
    known,
    open: { 'streamable-http': open('streamable-http'), sse: open('sse') },
    learn: (found) => void learned.push(found),
  });
  return { channel, learned, opened, log };
}

describe('AutoChannel', () => {
  it('keeps to Streamable HTTP when the POST is accepted', async () => {
    const streamable = new FakeChannel();
    const { channel, learned, opened, log } = auto({ 'streamable-http': streamable });
    await channel.send(INIT);
    expect(streamable.sent).toEqual([INIT]);
    expect(opened).toEqual(['streamable-http']);
    expect(learned).toEqual(['streamable-http']);
    expect(log.lines.filter((l) => l.level === 'info')).toHaveLength(1);
  });

  it('sends the first message once more, over SSE, after a 4xx, and closes the refused wire quietly', async () => {
    const streamable = new FakeChannel(new StreamableHTTPError(405, 'Method Not Allowed'));
    const sse = new FakeChannel();
    const { channel, learned } = auto({ 'streamable-http': streamable, sse });
    let closes = 0;
    channel.onclose = () => void closes++;
    await channel.send(INIT);
    expect(sse.sent).toEqual([INIT]);
    expect(sse.started).toBe(true);
    expect(streamable.closed).toBe(true);
    expect(closes).toBe(0);
    expect(learned).toEqual(['sse']);
  });

  it('holds later messages until the choice is made, so nothing overtakes the first', async () => {
    const sse = new FakeChannel();
    let release!: () => void;
    sse.gate = new Promise((resolve) => (release = resolve));
    const { channel } = auto({ 'streamable-http': new FakeChannel(new StreamableHTTPError(404, 'Not Found')), sse });
    const first = channel.send(INIT);
    const second = channel.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    const third = channel.send({ jsonrpc: '2.0', id: '', method: 'ping' });
    release();
    await Promise.all([first, second, third]);
    expect(sse.sent.map((m) => ('method' in m ? m.method : undefined))).toEqual(['initialize', 'notifications/initialized', 'ping']);
  });

  it("passes messages and the inner wire's close on, once", async () => {
    const streamable = new FakeChannel();
    const { channel } = auto({ 'streamable-http': streamable });
    const got: Message[] = [];
    let closes = 0;
    channel.onmessage = (m) => void got.push(m);
    channel.onclose = () => void closes++;
    await channel.send(INIT);
    streamable.onmessage?.({ jsonrpc: '2.0', id: 0, result: {} });
    expect(got).toEqual([{ jsonrpc: '2.0', id: 0, result: {} }]);
    await streamable.close();
    await channel.close();
    expect(closes).toBe(1);
    await expect(channel.send(INIT)).rejects.toThrow(/closed/);
  });

  it('closes the chosen wire when closed while still choosing', async () => {
    const streamable = new FakeChannel();
    let release!: () => void;
    streamable.gate = new Promise((resolve) => (release = resolve));
    const { channel } = auto({ 'streamable-http': streamable });
    const sent = channel.send(INIT);
    const closed = channel.close();
    release();
    await sent;
    await closed;
    expect(streamable.closed).toBe(true);
  });

  it("does not fall back for errors that are not an old server's answer; rejects naming the URL, then closes", async () => {
    const { channel, opened } = auto({ 'streamable-http': new FakeChannel(new TypeError('fetch failed')) });
    let closed = false;
    channel.onclose = () => void (closed = true);
    const sent = await settle(channel.send(INIT));
    expect(!sent.ok && String(sent.error)).toContain('could not connect to the MCP server at http://127.0.0.1:1/mcp: fetch failed');
    expect(opened).toEqual(['streamable-http']);
    await until(() => closed, 'the link to close');
  });

  it('with a known transport, tries only that one, and forgets it when it fails', async () => {
    const { channel, opened, learned, log } = auto({ 'streamable-http': new FakeChannel(), sse: new FakeChannel(new Error('stream refused')) }, 'sse');
    const sent = await settle(channel.send(INIT));
    expect(sent.ok).toBe(false);
    expect(opened).toEqual(['sse']);
    expect(learned).toEqual([undefined]);
    // A known transport is not announced again.
    expect(log.lines.filter((l) => l.level === 'info')).toHaveLength(0);
  });

  it('takes 4xx as an old server, except the statuses about credentials and load', () => {
    for (const code of [400, 404, 405, 406, 415]) expect(isOldServerAnswer(new StreamableHTTPError(code, 'x')), String(code)).toBe(true);
    for (const code of [401, 403, 407, 408, 429, 500, 502]) expect(isOldServerAnswer(new StreamableHTTPError(code, 'x')), String(code)).toBe(false);
    expect(isOldServerAnswer(new Error('404'))).toBe(false);
  });
});
