import { afterEach, describe, expect, it } from 'vitest';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { memoryUpstream } from '@mcproxy/testing';
import { start, stop, textOf, toolServer } from '../test/servers.js';

afterEach(stop);

describe('aggregate: one session, many upstreams', () => {
  it('answers initialize for the proxy: union of capabilities, its own serverInfo, instructions by upstream', async () => {
    const plain = () => new McpServer({ name: 'plain', version: '1' });
    const client = await start(
      [
        memoryUpstream('a', toolServer('a', ['x'])),
        memoryUpstream('p', () => {
          const s = plain();
          s.registerPrompt('hello', {}, () => ({ messages: [] }));
          return s;
        }),
      ],
      { serverInfo: { name: 'team-proxy', version: '2.0.0' } },
    );
    expect(client.getServerVersion()).toMatchObject({ name: 'team-proxy', version: '2.0.0' });
    const caps = client.getServerCapabilities();
    expect(caps?.tools).toBeDefined();
    expect(caps?.prompts).toBeDefined();
    expect(caps?.logging).toBeDefined();
    expect(caps?.resources).toBeUndefined();
    expect(client.getInstructions()).toBe('## a\nuse a well');
  });

  it('merges tool lists and prefixes only names that collide, then routes calls under their own names', async () => {
    const client = await start([
      memoryUpstream('a', toolServer('a', ['search', 'only_a'])),
      memoryUpstream('b', toolServer('b', ['search', 'only_b'])),
      memoryUpstream('c', toolServer('c', ['only_c'])),
    ]);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names.sort()).toEqual(['a__search', 'b__search', 'only_a', 'only_b', 'only_c']);
    expect(textOf(await client.callTool({ name: 'b__search' }))).toBe('b:search');
    expect(textOf(await client.callTool({ name: 'a__search' }))).toBe('a:search');
    expect(textOf(await client.callTool({ name: 'only_c' }))).toBe('c:only_c');
    await expect(client.callTool({ name: 'search' })).rejects.toThrow(/Tool search not found/);
  });

  it('routes a call made before any list', async () => {
    const client = await start([memoryUpstream('a', toolServer('a', ['x'])), memoryUpstream('b', toolServer('b', ['y']))]);
    expect(textOf(await client.callTool({ name: 'y' }))).toBe('b:y');
  });

  it('prefixes every name with prefix: always, and refuses a collision with prefix: never', async () => {
    const ups = () => [memoryUpstream('a', toolServer('a', ['search'])), memoryUpstream('my server', toolServer('b', ['search', 'z']))];
    let client = await start(ups(), { prefix: 'always', separator: '.' });
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['a.search', 'my_server.search', 'my_server.z']);
    expect(textOf(await client.callTool({ name: 'my_server.z' }))).toBe('b:z');
    client = await start(ups(), { prefix: 'never' });
    await expect(client.listTools()).rejects.toThrow(/"search" is offered by both "a" and "my server"/);
  });

  it('hands out its own cursors, and refuses one it did not make', async () => {
    const client = await start([memoryUpstream('a', toolServer('a', ['t1', 't2', 't3'])), memoryUpstream('b', toolServer('b', ['t4', 't5']))], { pageSize: 2 });
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await client.listTools(cursor === undefined ? {} : { cursor });
      seen.push(...page.tools.map((t) => t.name));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== undefined);
    expect(pages).toBe(3);
    expect(seen).toEqual(['t1', 't2', 't3', 't4', 't5']);
    await expect(client.listTools({ cursor: 'bm9wZQ' })).rejects.toMatchObject({ code: -32602 });
  });

  it('follows an upstream that pages its own list', async () => {
    const paged = () => {
      const s = new Server({ name: 'paged', version: '1' }, { capabilities: { tools: {} } });
      s.setRequestHandler(ListToolsRequestSchema, async (req) => {
        const page = Number(req.params?.cursor ?? '0');
        const tools = [{ name: `p${page}`, inputSchema: { type: 'object' as const } }];
        return page < 2 ? { tools, nextCursor: String(page + 1) } : { tools };
      });
      return s;
    };
    const client = await start([memoryUpstream('paged', paged), memoryUpstream('a', toolServer('a', ['x']))]);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['p0', 'p1', 'p2', 'x']);
  });
});
