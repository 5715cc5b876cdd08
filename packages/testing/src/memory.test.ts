import { afterEach, describe, expect, it } from 'vitest';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createProxy, type Proxy } from '@mcproxy/core';
import { memoryClient, memoryUpstream } from './memory.js';

let proxy: Proxy | undefined;
afterEach(async () => proxy?.close());

const server = (): McpServer => {
  const s = new McpServer({ name: 'mem', version: '1.0.0' });
  s.registerTool('hello', { description: 'says hello' }, async () => ({ content: [{ type: 'text', text: 'hi' }] }));
  return s;
};

describe('in-memory upstreams', () => {
  it('serve an SDK server through a proxy to an SDK client', async () => {
    const up = memoryUpstream('mem', server);
    proxy = createProxy({ upstreams: [up] });
    const client = await memoryClient(proxy);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['hello']);
    expect(up.opened).toBe(1);
  });

  it('fail to connect once told to', async () => {
    const up = memoryUpstream('mem', server);
    up.fail('gone');
    proxy = createProxy({ upstreams: [up] });
    await expect(memoryClient(proxy)).rejects.toThrow(/gone/);
  });
});
