import type { ServerResponse } from 'node:http';
import { createServer } from 'node:net';
import type { Channel, Message, MessageExtra } from '@mcproxy/core';
import { afterEach, describe, expect, it } from 'vitest';
import { logText, recordingLogger, settle, Teardown, until } from '@mcproxy/testing';
import { json, SCRIPTED_VERSION as VERSION, sessionUpstream, sseEvent, sseHead } from '../../test/scripted-upstream.js';
import { streamableHttpUpstream, type UpstreamChannel } from '../index.js';

const t = new Teardown();
afterEach(() => t.run());

const initialize = {
  jsonrpc: '2.0' as const,
  id: 0,
  method: 'initialize',
  params: { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};
const initialized = { jsonrpc: '2.0' as const, method: 'notifications/initialized' };
const progress = (n: number) => ({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: n } });
const call = { jsonrpc: '2.0' as const, id: 'call-1', method: 'tools/call', params: { name: 'slow', arguments: {} } };
const answer = { jsonrpc: '2.0', id: 'call-1', result: { content: [] } };

async function connect(url: string, headers?: Record<string, string>) {
  const log = recordingLogger();
  const channel = (await streamableHttpUpstream({ url, headers, log, closeTimeoutMs: 500 })()) as UpstreamChannel;
  t.add(() => channel.close());
  const got: Array<[Message, MessageExtra | undefined]> = [];
  let closes = 0;
  channel.onmessage = (m, extra) => void got.push([m, extra]);
  channel.onclose = () => void closes++;
  await channel.start();
  return { channel, got, log, closes: () => closes };
}

async function initializeOn(channel: Channel) {
  await channel.send(initialize);
}

describe('UpstreamChannel', () => {
  it('POSTs each message with the configured headers, then the session id, version and hop list once known', async () => {
    const up = await sessionUpstream(t, (hit, res) => {
      if (hit.body?.method !== 'tools/list') return false;
      json(res, { jsonrpc: '2.0', id: hit.body.id, result: { tools: [] } });
      return true;
    });
    const { channel, got } = await connect(up.url, { Authorization: 'Bearer x', Accept: 'text/html' });
    await initializeOn(channel);
    expect(channel.sessionId).toBe('sess-1');
    expect(channel.protocolVersion).toBe(VERSION);
    await channel.send(initialized);
    await channel.send({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: { 'mcproxy/hops': ['proxy-a', 'proxy-b'] } } });
    expect(got.map(([m]) => 'id' in m && m.id)).toEqual([0, 1]);
    const posts = up.hits.filter((h) => h.method === 'POST');
    expect(posts.map((h) => [h.headers['mcp-session-id'], h.headers['mcp-protocol-version'], h.headers['mcproxy-hops']])).toEqual([
      [undefined, undefined, undefined],
      ['sess-1', VERSION, undefined],
      ['sess-1', VERSION, 'proxy-a,proxy-b'],
    ]);
    for (const h of posts) {
      expect(h.headers).toMatchObject({ 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: 'Bearer x' });
      expect(h.headers['content-length']).toBeDefined();
    }
    // The standalone GET stream, opened after initialized: this server has none (405), and that is the end of it.
    const get = await until(() => up.hits.find((h) => h.method === 'GET'), 'the GET stream');
    expect(get.headers).toMatchObject({ accept: 'text/event-stream', 'mcp-session-id': 'sess-1', 'mcp-protocol-version': VERSION });
    await new Promise((r) => setTimeout(r, 300));
    expect(up.hits.filter((h) => h.method === 'GET')).toHaveLength(1);
  });

  it.each(['ends', 'drops'])('resumes a POST stream that %s before its answer, with GET and Last-Event-ID after the retry', async (how) => {
    const up = await sessionUpstream(t, (hit, res) => {
      if (hit.body?.method === 'tools/call') {
        sseHead(res);
        res.write('id: s.1\nretry: 50\ndata: \n\n');
        res.write(sseEvent(progress(1), 's.2'));
        setTimeout(() => (how === 'ends' ? res.end() : res.socket?.destroy()), 20);
        return true;
      }
      if (hit.method === 'GET' && hit.headers['last-event-id'] === 's.2') {
        sseHead(res);
        res.write(sseEvent(progress(2), 's.3'));
        res.end(sseEvent(answer, 's.4'));
        return true;
      }
      return false;
    });
    const { channel, got } = await connect(up.url);
    await initializeOn(channel);
    await channel.send(call);
    const about = got.slice(1);
    expect(about.map(([m]) => m)).toEqual([progress(1), progress(2), answer]);
    expect(about.every(([, extra]) => extra?.relatedRequestId === 'call-1')).toBe(true);
    const post = up.hits.find((h) => h.body?.method === 'tools/call')!;
    const get = up.hits.find((h) => h.method === 'GET')!;
    expect(get.headers).toMatchObject({ 'last-event-id': 's.2', 'mcp-session-id': 'sess-1', 'mcp-protocol-version': VERSION, accept: 'text/event-stream' });
    expect(get.at - post.at).toBeGreaterThanOrEqual(60);
  });

  it('fails a request whose stream ends before the answer with nothing to resume from', async () => {
    const up = await sessionUpstream(t, (hit, res) => {
      if (hit.body?.method !== 'tools/call') return false;
      sseHead(res);
      res.end(sseEvent(progress(1)));
      return true;
    });
    const { channel, got } = await connect(`${up.url}?key=SECRET`);
    await initializeOn(channel);
    const sent = await settle(channel.send(call));
    expect(sent.ok).toBe(false);
    expect(String(sent.ok ? '' : sent.error)).toMatch(/ended before the answer/);
    expect(String(sent.ok ? '' : sent.error)).not.toContain('SECRET');
    expect(got.at(-1)?.[1]).toEqual({ relatedRequestId: 'call-1' });
  });

  it('rejects a refused POST naming the URL by origin and path only; a 404 for its session closes the link', async () => {
    let refuse = 500;
    const up = await sessionUpstream(t, (hit, res) => {
      if (hit.body?.method !== 'tools/call') return false;
      res.writeHead(refuse, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32000, message: 'boom' } }));
      return true;
    });
    const { channel, log, closes } = await connect(`${up.url}?key=SECRET`, { authorization: 'Bearer HEADER-SECRET' });
    await initializeOn(channel);
    const failed = await settle(channel.send(call));
    expect(failed.ok ? '' : String(failed.error)).toContain(`Error POSTing to endpoint: boom (HTTP 500) at ${up.url}`);
    expect(closes()).toBe(0);
    refuse = 404;
    const forgotten = await settle(channel.send(call));
    expect(forgotten.ok ? '' : String(forgotten.error)).toContain('HTTP 404');
    expect(closes()).toBe(1);
    await expect(channel.send(call)).rejects.toThrow(/closed/);
    // Nothing to end: the upstream already forgot the session.
    expect(up.hits.filter((h) => h.method === 'DELETE')).toHaveLength(0);
    const all = `${logText(log.lines)} ${String(failed.ok || failed.error)} ${String(forgotten.ok || forgotten.error)}`;
    expect(all).not.toContain('SECRET');
  });

  it('fails a send when the upstream cannot be reached, naming the URL without its query', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = s.address() as { port: number };
        s.close(() => resolve(p));
      });
    });
    const { channel } = await connect(`http://127.0.0.1:${port}/mcp?key=SECRET`);
    const sent = await settle(channel.send(initialize));
    expect(sent.ok ? '' : String(sent.error)).toMatch(new RegExp(`fetch failed \\(POST http://127.0.0.1:${port}/mcp\\): .*ECONNREFUSED`));
    expect(sent.ok ? '' : String(sent.error)).not.toContain('SECRET');
  });

  it('listens on GET after initialized, reconnects with Last-Event-ID when the stream drops, and closes with DELETE', async () => {
    const streams: ServerResponse[] = [];
    const up = await sessionUpstream(t, (hit, res) => {
      if (hit.method === 'DELETE') {
        for (const s of streams) s.end();
        res.writeHead(200).end();
        return true;
      }
      if (hit.method !== 'GET') return false;
      sseHead(res);
      streams.push(res);
      if (streams.length === 1) {
        res.write(sseEvent({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' }, 'g.1'));
        setTimeout(() => res.socket?.destroy(), 20);
      } else {
        res.write(sseEvent({ jsonrpc: '2.0', id: 7, method: 'ping' }, 'g.2'));
      }
      return true;
    });
    const { channel, got, closes } = await connect(up.url);
    await initializeOn(channel);
    await channel.send(initialized);
    await until(() => got.length === 3, 'both server messages');
    expect(got.slice(1)).toEqual([
      [{ jsonrpc: '2.0', method: 'notifications/tools/list_changed' }, undefined],
      [{ jsonrpc: '2.0', id: 7, method: 'ping' }, undefined],
    ]);
    const gets = up.hits.filter((h) => h.method === 'GET');
    expect(gets.map((h) => h.headers['last-event-id'])).toEqual([undefined, 'g.1']);
    await channel.close();
    await channel.close();
    expect(closes()).toBe(1);
    expect(up.hits.at(-1)).toMatchObject({ method: 'DELETE', headers: { 'mcp-session-id': 'sess-1' } });
    await until(() => gets.every((h) => h.closed), 'the GET streams to be closed');
    await new Promise((r) => setTimeout(r, 300));
    expect(up.hits.filter((h) => h.method === 'GET')).toHaveLength(2);
  });

  it('follows a redirect within its origin and stays at the new path; refuses one elsewhere, naming it without its query', async () => {
    const up = await sessionUpstream(t, (hit, res) => {
      if (hit.path === '/mcp') {
        res
          .writeHead(hit.body?.method === 'tools/list' ? 302 : 307, {
            location: hit.body?.method === 'tools/list' ? 'http://elsewhere.invalid/mcp?key=SECRET' : '/mcp/',
          })
          .end();
        return true;
      }
      if (hit.body?.method !== 'tools/call') return false;
      json(res, answer);
      return true;
    });
    const { channel, got } = await connect(up.url);
    await initializeOn(channel);
    await channel.send(call);
    expect(got.map(([m]) => 'id' in m && m.id)).toEqual([0, 'call-1']);
    expect(up.hits.map((h) => `${h.method} ${h.path}`)).toEqual(['POST /mcp', 'POST /mcp/', 'POST /mcp/']);
    expect(up.hits[2]?.headers['mcp-session-id']).toBe('sess-1');

    const other = await connect(up.url);
    const refused = await settle(other.channel.send({ jsonrpc: '2.0', id: 1, method: 'tools/list' }));
    expect(refused.ok ? '' : String(refused.error)).toContain('a redirect to http://elsewhere.invalid/mcp, not followed');
    expect(refused.ok ? '' : String(refused.error)).not.toContain('SECRET');
  });

  it('stops reading the stream of a request it cancelled, so a server that keeps it open holds no socket', async () => {
    const up = await sessionUpstream(t, (hit, res) => {
      if (hit.body?.method !== 'tools/call') return false;
      sseHead(res);
      res.write('id: s.1\ndata: \n\n');
      return true;
    });
    const { channel } = await connect(up.url);
    await initializeOn(channel);
    const sent = channel.send(call);
    const post = await until(() => up.hits.find((h) => h.body?.method === 'tools/call'), 'the call to arrive');
    await channel.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'call-1', reason: 'timed out' } });
    await sent;
    await until(() => post.closed, 'the stream to be closed');
    expect(up.hits.filter((h) => h.method === 'GET')).toHaveLength(0);
  });
});
