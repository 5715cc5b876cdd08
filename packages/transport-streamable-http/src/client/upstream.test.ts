import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { ConfigError, createChannelPair, createProxy, type LinkMode, type Message, type MessageExtra } from '@mcproxy/core';
import { afterEach, describe, expect, it } from 'vitest';
import { deferred, logText, recordingLogger, Teardown, textOf, until } from '@mcproxy/testing';
import { startHttpUpstream, type HttpUpstream } from '../../test/http-upstream.js';
import { createUpstreamServer, type UpstreamHooks } from '../../test/upstream-server.js';
import { streamableHttpUpstream, type UpstreamChannel } from '../index.js';

const t = new Teardown();
afterEach(() => t.run());

async function upstream(hooks: UpstreamHooks = {}): Promise<HttpUpstream> {
  const up = await startHttpUpstream(() => createUpstreamServer(hooks));
  t.add(() => up.close());
  return up;
}

/** A proxy whose one upstream is reached with `streamableHttpUpstream`, and a way to add SDK clients to it. */
function proxyTo(url: string, mode: LinkMode, headers?: Record<string, string>) {
  const log = recordingLogger();
  const proxy = createProxy({ upstreams: [{ name: 'up', mode, connect: streamableHttpUpstream({ url, headers, log }) }], log });
  t.add(() => proxy.close());
  const client = async (name = 'a client'): Promise<Client> => {
    const [near, far] = createChannelPair();
    await proxy.accept(near);
    const c = new Client({ name: 'test-client', version: '1.0.0' }, { capabilities: { sampling: {} } });
    c.setRequestHandler(CreateMessageRequestSchema, async () => ({ role: 'assistant', model: 'test', content: { type: 'text', text: name } }));
    await c.connect(far as unknown as Transport);
    t.add(() => c.close());
    return c;
  };
  return { proxy, log, client };
}

describe('streamableHttpUpstream', () => {
  it('sends MCP-Protocol-Version with every request after initialize, with the version the upstream chose', async () => {
    const up = await upstream();
    const channel = await streamableHttpUpstream({ url: up.url })();
    t.add(() => channel.close());
    const got: Message[] = [];
    const answered = (id: number) => until(() => got.find((m) => 'id' in m && m.id === id), `the answer to ${id}`);
    channel.onmessage = (m) => void got.push(m);
    await channel.start();
    await channel.send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    await answered(1);
    expect((channel as UpstreamChannel).protocolVersion).toBe('2025-06-18');
    await channel.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await channel.send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    await answered(2);
    const posts = up.seen.filter((s) => s.method === 'POST');
    expect(posts.map((s) => [s.rpc, s.protocolVersion])).toEqual([
      ['initialize', undefined],
      ['notifications/initialized', '2025-06-18'],
      ['tools/list', '2025-06-18'],
    ]);
  });

  it('carries a tool call through a proxy, sends the configured headers, and never logs them', async () => {
    const up = await upstream();
    const { client, log } = proxyTo(up.url, 'per-session', { Authorization: 'Bearer s3cret-token' });
    const c = await client();
    expect(textOf(await c.callTool({ name: 'hello', arguments: {} }))).toBe('hello from upstream');
    expect(up.seen.length).toBeGreaterThan(0);
    expect(up.seen.every((s) => s.authorization === 'Bearer s3cret-token')).toBe(true);
    expect(log.lines.some((l) => l.bindings.url === `${new URL(up.url).origin}/mcp`)).toBe(true);
    expect(logText(log.lines)).not.toContain('s3cret');
  });

  it('ends the upstream session with DELETE when the link closes', async () => {
    const up = await upstream();
    const { client } = proxyTo(up.url, 'per-session');
    const c = await client();
    await c.callTool({ name: 'hello', arguments: {} });
    const [sessionId] = [...up.sessions.keys()];
    expect(sessionId).toBeDefined();
    // The downstream session ends, so its per-session link closes.
    await c.close();
    const deleted = await until(() => up.seen.find((s) => s.method === 'DELETE' && s.status !== undefined), 'a DELETE');
    expect(deleted).toMatchObject({ sessionId, status: 200 });
    expect(up.sessions.size).toBe(0);
  });

  it('answers the first call after the upstream forgot the session (a restart): the 404 is sent again on a fresh link', async () => {
    const up = await upstream();
    const { client } = proxyTo(up.url, 'per-session');
    const c = await client();
    expect(textOf(await c.callTool({ name: 'hello', arguments: {} }))).toBe('hello from upstream');
    await up.forget();
    expect(textOf(await c.callTool({ name: 'hello', arguments: {} }))).toBe('hello from upstream');
    expect(up.seen.filter((s) => s.rpc === 'tools/call').map((s) => s.status)).toEqual([200, 404, 200]);
    expect(up.seen.filter((s) => s.rpc === 'initialize')).toHaveLength(2);
    // The forgotten session is not DELETEd: there is nothing left to end.
    expect(up.seen.filter((s) => s.method === 'DELETE')).toHaveLength(0);
  });

  it.each(['per-session', 'shared'] as const)('answers the first call after the upstream process restarted on its port (%s link)', async (mode) => {
    const first = await upstream();
    const { client } = proxyTo(first.url, mode);
    const c = await client();
    expect(textOf(await c.callTool({ name: 'hello', arguments: {} }))).toBe('hello from upstream');
    await first.close();
    const again = await startHttpUpstream(() => createUpstreamServer({}), Number(new URL(first.url).port));
    t.add(() => again.close());
    expect(textOf(await c.callTool({ name: 'hello', arguments: {} }))).toBe('hello from upstream');
    expect(again.seen.filter((s) => s.rpc !== undefined).map((s) => `${s.rpc} ${s.status}`)).toEqual([
      'tools/call 404',
      'initialize 200',
      'notifications/initialized 202',
      'tools/call 200',
    ]);
  });

  it('tells core which request a message belongs to, so a shared link routes sampling to the right session', async () => {
    // Both calls wait until both are in flight: then "the newest request" is
    // the wrong answer for one of them, and only the request id is right.
    let arrived = 0;
    const both = deferred();
    const up = await upstream({
      beforeAsk: () => {
        if (++arrived === 2) both.resolve();
        return both.promise;
      },
    });
    const { client } = proxyTo(up.url, 'shared');
    const [a, b] = [await client('client A'), await client('client B')];
    const [ra, rb] = await Promise.all([a.callTool({ name: 'ask', arguments: {} }), b.callTool({ name: 'ask', arguments: {} })]);
    expect(textOf(ra)).toBe('sampled: client A');
    expect(textOf(rb)).toBe('sampled: client B');
  });

  it("passes relatedRequestId for the messages that come on a request's stream", async () => {
    const up = await upstream();
    const channel = await streamableHttpUpstream({ url: up.url })();
    t.add(() => channel.close());
    const got: Array<[Message, MessageExtra | undefined]> = [];
    channel.onmessage = (m, extra) => void got.push([m, extra]);
    await channel.start();
    await channel.send({
      jsonrpc: '2.0',
      id: 'init',
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    await until(() => got.length === 1, 'the initialize answer');
    await channel.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await channel.send({ jsonrpc: '2.0', id: 'c1', method: 'tools/call', params: { name: 'count', arguments: {}, _meta: { progressToken: 'p' } } });
    await until(() => got.some(([m]) => 'id' in m && m.id === 'c1'), 'the call answer');
    const progress = got.filter(([m]) => 'method' in m && m.method === 'notifications/progress');
    expect(progress).toHaveLength(3);
    expect(progress.every(([, extra]) => extra?.relatedRequestId === 'c1')).toBe(true);
  });

  it('resumes a request whose stream the SDK server closes before answering (SEP-1699), with Last-Event-ID', async () => {
    const up = await startHttpUpstream(() => {
      const server = createUpstreamServer();
      server.registerTool('drop', { description: 'closes its event stream, then answers' }, async (extra) => {
        await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data: 'before the drop' } });
        extra.closeSSEStream?.();
        await new Promise((r) => setTimeout(r, 50));
        return { content: [{ type: 'text', text: 'answered after the drop' }] };
      });
      return server;
    });
    t.add(() => up.close());
    const channel = await streamableHttpUpstream({ url: up.url })();
    t.add(() => channel.close());
    const got: Array<[Message, MessageExtra | undefined]> = [];
    channel.onmessage = (m, extra) => void got.push([m, extra]);
    await channel.start();
    await channel.send({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    await channel.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await channel.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'drop', arguments: {} } });
    const [log, answer] = got.filter(([, extra]) => extra?.relatedRequestId === 1).map(([m]) => m);
    expect(log).toMatchObject({ method: 'notifications/message', params: { data: 'before the drop' } });
    expect(textOf((answer as { result?: unknown }).result)).toBe('answered after the drop');
    expect(up.seen.filter((s) => s.method === 'GET').length).toBeGreaterThanOrEqual(2);
  });

  it('refuses a URL it cannot use, at configuration time', () => {
    expect(() => streamableHttpUpstream({ url: 'not a url?token=abc' })).toThrow(ConfigError);
    expect(() => streamableHttpUpstream({ url: 'not a url?token=abc' })).not.toThrow(/abc/);
    expect(() => streamableHttpUpstream({ url: 'ftp://example.com/mcp' })).toThrow(ConfigError);
    expect(() => streamableHttpUpstream({ url: 'https://user:pw@example.com/mcp' })).toThrow(/headers/);
  });
});
