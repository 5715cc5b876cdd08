import { afterEach, describe, expect, it } from 'vitest';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createProxy, silentLogger, type Middleware, type Proxy } from '@mcproxy/core';
import { memoryClient, memoryUpstream } from '@mcproxy/testing';
import { aggregate } from '@mcproxy/mw-aggregate';
import filter, { type FilterOptions } from './index.js';

let proxies: Proxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  proxies = [];
});

/** Tools `echo`, `delete_file`; resources file:///tmp/a.txt and file:///etc/passwd; templates db://tables/{name} and file:///tmp/{name}. */
const server = (reached: string[]) => (): McpServer => {
  const s = new McpServer({ name: 'up', version: '1.0.0' });
  for (const name of ['echo', 'delete_file']) {
    s.registerTool(name, {}, async () => {
      reached.push(name);
      return { content: [{ type: 'text', text: name }] };
    });
  }
  for (const uri of ['file:///tmp/a.txt', 'file:///etc/passwd']) {
    s.registerResource(uri, uri, {}, async () => {
      reached.push(uri);
      return { contents: [{ uri, text: uri }] };
    });
  }
  for (const template of ['db://tables/{name}', 'file:///tmp/{name}']) {
    s.registerResource(template, new ResourceTemplate(template, { list: undefined }), {}, async (uri) => {
      reached.push(uri.href);
      return { contents: [{ uri: uri.href, text: 'row' }] };
    });
  }
  return s;
};

/** `filter` in front of `aggregate` (collision prefixes: `a` and `b` share every name), or alone before one upstream. */
async function client(options: FilterOptions, upstreams: string[], reached: string[] = []) {
  const mw: Middleware[] = [await filter(options, { log: silentLogger })];
  if (upstreams.length > 1) mw.push(await aggregate({}, { log: silentLogger }));
  const proxy = createProxy({ upstreams: upstreams.map((n) => memoryUpstream(n, server(reached))), middleware: mw });
  proxies.push(proxy);
  return memoryClient(proxy);
}

const code = async (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => 'answered',
    (e: { code?: unknown }) => e.code,
  );
const alias = (upstream: string, uri: string): string => `mcproxy://${upstream}/${encodeURIComponent(uri)}`;

describe('filter: deny wins whatever an item is called', () => {
  it('judges a rewritten URI by the URI it reaches, in lists, reads and subscriptions', async () => {
    const reached: string[] = [];
    const c = await client({ resources: { deny: ['file:///etc/**'] } }, ['a', 'b'], reached);
    expect((await c.listResources()).resources.map((r) => r.uri)).toEqual([alias('a', 'file:///tmp/a.txt'), alias('b', 'file:///tmp/a.txt')]);
    for (const refused of [c.readResource({ uri: alias('b', 'file:///etc/passwd') }), c.subscribeResource({ uri: alias('a', 'file:///etc/passwd') })]) {
      expect(await code(refused)).toBe(-32002);
    }
    // Nested, as a chain of proxies would make it.
    expect(await code(c.readResource({ uri: alias('a', alias('x', 'file:///etc/passwd')) }))).toBe(-32002);
    expect(reached).toEqual([]);
    expect((await c.readResource({ uri: alias('b', 'file:///tmp/a.txt') })).contents).toHaveLength(1);
  });

  it('judges a percent-encoded URI by what it decodes to, for deny and allow alike', async () => {
    const reached: string[] = [];
    const denied = await client({ resources: { deny: ['file:///etc/**'] } }, ['a'], reached);
    for (const uri of ['file:///%65tc/passwd', 'file:///%2565tc/passwd', 'file:///etc%2Fpasswd', alias('a', 'file:///%65tc/passwd')]) {
      expect(await code(denied.readResource({ uri }))).toBe(-32002);
    }
    const allowed = await client({ resources: { allow: ['file:///tmp/**'] } }, ['a'], reached);
    expect(await code(allowed.readResource({ uri: 'file:///tmp/%2E%2E/etc/passwd' }))).toBe(-32002);
    expect(reached).toEqual([]);
    expect((await allowed.readResource({ uri: 'file:///tmp/a.txt' })).contents).toHaveLength(1);
  });

  it('lets an allow rule on the real URI admit its alias', async () => {
    const c = await client({ resources: { allow: ['file:///tmp/**'] } }, ['a', 'b']);
    expect((await c.readResource({ uri: alias('a', 'file:///tmp/a.txt') })).contents).toHaveLength(1);
    expect(await code(c.readResource({ uri: alias('a', 'file:///etc/passwd') }))).toBe(-32002);
  });

  it('refuses a URI that expands a hidden template, with one upstream and before aggregate', async () => {
    for (const upstreams of [['up'], ['a', 'b']]) {
      const reached: string[] = [];
      const c = await client({ resourceTemplates: { deny: ['db://**'] } }, upstreams, reached);
      expect(await code(c.readResource({ uri: 'db://tables/secrets' }))).toBe(-32002);
      expect(await code(c.subscribeResource({ uri: 'db://tables/secrets' }))).toBe(-32002);
      expect(reached).toEqual([]);
      // Two upstreams with the same template share its URIs: the client reads one upstream's by alias.
      const notes = upstreams.length === 1 ? 'file:///tmp/notes' : alias('b', 'file:///tmp/notes');
      expect((await c.readResource({ uri: notes })).contents).toHaveLength(1);
    }
  });

  it("holds a rule on an upstream's own name for its prefixed name, before aggregate", async () => {
    const reached: string[] = [];
    const c = await client({ tools: { deny: ['delete_file'] } }, ['a', 'b'], reached);
    expect((await c.listTools()).tools.map((t) => t.name)).toEqual(['a__echo', 'b__echo']);
    expect(await code(c.callTool({ name: 'a__delete_file' }))).toBe(-32602);
    await expect(c.callTool({ name: 'b__delete_file' })).rejects.toThrow(/Tool b__delete_file not found/);
    expect(reached).toEqual([]);
    await c.callTool({ name: 'a__echo' });
    expect(reached).toEqual(['echo']);
  });

  it('still matches allow rules on the merged names it sees', async () => {
    const c = await client({ tools: { allow: ['a__*'] } }, ['a', 'b']);
    expect((await c.listTools()).tools.map((t) => t.name)).toEqual(['a__echo', 'a__delete_file']);
  });
});
