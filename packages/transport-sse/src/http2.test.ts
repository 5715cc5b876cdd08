import { connect, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import { createProxy } from '@mcproxy/core';
import { serveStreamableHttp } from '@mcproxy/transport-streamable-http';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryUpstream, Teardown, until } from '@mcproxy/testing';
import { buildUpstream } from '../test/setup.js';
import { createSseHandler } from './index.js';

const t = new Teardown();
afterEach(() => t.run());

/** A stream's status, headers and everything it carried until it ended. */
function answer(stream: ClientHttp2Stream): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    let head: Record<string, unknown> = {};
    let text = '';
    stream.setEncoding('utf8');
    stream.once('response', (h) => void (head = h));
    stream.on('data', (chunk: string) => void (text += chunk));
    stream.once('error', reject);
    stream.once('end', () => resolve({ status: Number(head[':status']), headers: head, text }));
  });
}

const post = (h2: ClientHttp2Session, path: string, body: string | Buffer) => {
  const stream = h2.request({ ':method': 'POST', ':path': path, 'content-type': 'application/json' });
  stream.end(body);
  return answer(stream);
};

describe('the SSE endpoint mounted beside streamable HTTP, over HTTP/2', () => {
  it('serves its stream and its POSTs on one HTTP/2 connection, and a body over the limit costs that POST only', async () => {
    const waits = { entered: 0, cancelled: 0, closed: 0 };
    const proxy = createProxy({ upstreams: [memoryUpstream('fixture', () => buildUpstream(waits))] });
    t.add(() => proxy.close());
    const http = await serveStreamableHttp(proxy, {
      http2: true,
      limits: { clientMessageBytes: 4096 },
      mounts: [createSseHandler(proxy, { maxBodyBytes: 4096 })],
    });
    t.add(() => http.close());
    const h2 = connect(new URL(http.url).origin);
    h2.on('error', () => undefined);
    t.add(async () => void h2.destroy());

    const stream = h2.request({ ':path': '/sse', accept: 'text/event-stream' });
    let events = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => void (events += chunk));
    const head = await new Promise<Record<string, unknown>>((resolve) => stream.once('response', resolve));
    expect(head[':status']).toBe(200);
    expect(head['content-type']).toBe('text/event-stream');
    // HTTP/1.1's Connection: keep-alive, which the endpoint sets, is no HTTP/2 header.
    expect(head.connection).toBeUndefined();
    const endpoint = await until(() => /event: endpoint\ndata: (\S+)/.exec(events)?.[1], 'the endpoint event');

    const init = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'h2', version: '1' } },
    };
    expect((await post(h2, endpoint, JSON.stringify(init))).status).toBe(202);
    await until(() => events.includes('"id":1'), 'the initialize answer on the stream');
    expect((await post(h2, endpoint, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }))).status).toBe(202);

    const refused = await post(h2, endpoint, Buffer.alloc(64 * 1024, 'x'));
    expect(refused.status).toBe(413);
    expect(JSON.parse(refused.text)).toMatchObject({ error: { code: -32016, data: { limit: 'clientMessageBytes' } } });

    const call = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'test_simple_text', arguments: {} } };
    expect((await post(h2, endpoint, JSON.stringify(call))).status).toBe(202);
    await until(() => events.includes('"id":2'), 'the call answered on the same stream');
    expect(events).toContain('This is a simple text response for testing.');
  });
});
