import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rawOf } from '@mcproxy/large-json';
import { initializedChannel, Teardown, until } from '@mcproxy/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { sseUpstream } from './index.js';

const t = new Teardown();
afterEach(() => t.run());

const TEXT = 'v'.repeat(3 * 1024 * 1024);

/** A bare legacy HTTP+SSE server: its endpoint event, then every answer as one event; `big` answers TEXT. */
async function legacyServer(): Promise<string> {
  let stream: ServerResponse | undefined;
  const server = createServer((req, res) => {
    if (req.method === 'GET') {
      stream = res;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: endpoint\ndata: /messages\n\n');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(202).end();
      const m = JSON.parse(Buffer.concat(chunks).toString()) as { id?: number; method: string; params?: { protocolVersion?: string } };
      if (m.id === undefined) return;
      const result =
        m.method === 'initialize'
          ? { protocolVersion: m.params?.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'legacy', version: '1' } }
          : { content: [{ type: 'text', text: TEXT }] };
      const event = `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: m.id, result })}\n\n`;
      for (let i = 0; i < event.length; i += 65536) stream?.write(event.slice(i, i + 65536));
    });
  });
  t.add(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/sse`;
}

describe('large events from a legacy HTTP+SSE upstream', () => {
  it('reads a 3 MiB answer event with its content kept as the bytes it came in', async () => {
    const channel = await sseUpstream({ url: await legacyServer() })();
    t.add(() => channel.close());
    const got = await initializedChannel(channel, '2025-03-26');
    await channel.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'big', arguments: {} } });
    await until(() => got.length === 2, 'the answer');
    const answer = got[1] as unknown as { id: number; result: { content: Array<{ text: string }> } };
    expect(answer.id).toBe(2);
    expect(rawOf(answer.result.content)).toBeDefined();
    expect(answer.result.content[0]?.text).toBe(TEXT);
  });
});
