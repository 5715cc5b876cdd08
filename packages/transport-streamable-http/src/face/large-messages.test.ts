import { createProxy } from '@mcproxy/core';
import { LARGE_FRAME_BYTES, lazyJson, rawOf } from '@mcproxy/large-json';
import { answeringChannel, initialize, post, raw, Teardown } from '@mcproxy/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { serveStreamableHttp, type ServeStreamableHttpOptions } from '../index.js';

const t = new Teardown();
afterEach(() => t.run());

const TEXT = 'z'.repeat(3 * LARGE_FRAME_BYTES);
const CONTENT_JSON = JSON.stringify([{ type: 'text', text: TEXT }]);

/**
 * The upstream: `big` answers with content kept as bytes (as a transport that
 * read it off a wire leaves it), `size` tells the length of the `text` it was
 * sent. What it answered is in `answered`.
 */
const upstream = (answered: object[]) => async () =>
  answeringChannel((message) => {
    if (message.method === 'initialize') return { protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'large', version: '1' } };
    if (message.method === 'tools/list') return { tools: [{ name: 'big', inputSchema: { type: 'object' } }] };
    const params = (message as { params?: { name?: string; arguments?: { text?: string } } }).params;
    if (params?.name !== 'big') return { content: [{ type: 'text', text: String(params?.arguments?.text?.length) }] };
    const content = lazyJson([Buffer.from(CONTENT_JSON)], Buffer.byteLength(CONTENT_JSON), true);
    answered.push(content);
    return { content };
  });

async function serve(http: ServeStreamableHttpOptions = {}) {
  const answered: object[] = [];
  const proxy = createProxy({ upstreams: [{ name: 'up', mode: 'shared', connect: upstream(answered) }] });
  t.add(() => proxy.close());
  const server = await serveStreamableHttp(proxy, http);
  t.add(() => server.close());
  const init = await post(server.url, initialize());
  const headers = { 'mcp-session-id': String(init.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' };
  await post(server.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers);
  return { url: server.url, headers, answered };
}

const call = (name: string, args: Record<string, unknown> = {}) => ({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name, arguments: args } });

describe('large messages through the streamable HTTP face', () => {
  it('answers a result kept as bytes with those bytes, as JSON with its length, and never parses it', async () => {
    const { url, headers, answered } = await serve({ streamAfterMs: 60_000 });
    const reply = await post(url, call('big'), headers);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/json');
    expect(Number(reply.headers['content-length'])).toBe(Buffer.byteLength(reply.text));
    expect(reply.text).toBe(`{"jsonrpc":"2.0","id":7,"result":{"content":${CONTENT_JSON}}}`);
    expect(rawOf(answered[0])).toBeDefined();
  });

  it('sends it as one event on an event stream, not cut as a slow reader although it is far past slowReaderBytes', async () => {
    const { url, headers, answered } = await serve({ streamAfterMs: 0, limits: { slowReaderBytes: 64 * 1024 } });
    const reply = await post(url, call('big'), headers);
    expect(reply.status).toBe(200);
    const events = reply.text.split('\n\n').filter((e) => e.includes('data: {'));
    expect(events).toHaveLength(1);
    const data = events[0]!.slice(events[0]!.indexOf('data: ') + 6);
    expect(JSON.parse(data)).toEqual({ jsonrpc: '2.0', id: 7, result: { content: [{ type: 'text', text: TEXT }] } });
    expect(rawOf(answered[0])).toBeDefined();
  });

  it('reads a large request body as it comes and gives the upstream its arguments', async () => {
    const { url, headers } = await serve({ limits: { clientMessageBytes: 8 * LARGE_FRAME_BYTES } });
    const reply = await post(url, call('size', { text: TEXT }), headers);
    expect(reply.status).toBe(200);
    expect(reply.text).toContain(`"text":"${TEXT.length}"`);
  });

  it('answers a large body that is not JSON with 400 and the parse error', async () => {
    const { url, headers } = await serve({ limits: { clientMessageBytes: 8 * LARGE_FRAME_BYTES } });
    const broken = `${JSON.stringify(call('size', { text: TEXT })).slice(0, -2)}]}`;
    const reply = await raw(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: broken,
    });
    expect(reply.status).toBe(400);
    expect(reply.json()).toMatchObject({ error: { code: -32700 } });
  });
});
