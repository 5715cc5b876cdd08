import { afterEach, describe, expect, it } from 'vitest';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { createProxy, notFound, silentLogger, type Logger, type Middleware, type Proxy } from '@mcproxy/core';
import { memoryClient, memoryUpstream } from '@mcproxy/testing';
import * as z from 'zod';
import { aggregate } from '@mcproxy/mw-aggregate';

/** The real router, naming every item `<upstream>__<name>` so a test can tell the upstreams apart. */
const router = await aggregate({ prefix: 'always' }, { log: silentLogger });
import filter, { type FilterOptions } from './index.js';

let proxies: Proxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  proxies = [];
});

/** An upstream with three tools, two prompts, two resources and a template; `calls` records what reached it. */
const server =
  (calls: string[] = []) =>
  (): McpServer => {
    const s = new McpServer({ name: 'up', version: '1.0.0' });
    for (const name of ['read_file', 'delete_file', 'delete_all']) {
      s.registerTool(name, { description: name }, async () => {
        calls.push(name);
        return { content: [{ type: 'text', text: name }] };
      });
    }
    s.registerTool('touch', { description: 'says two resources changed' }, async () => {
      await s.server.sendResourceUpdated({ uri: 'file:///tmp/a.txt' });
      await s.server.sendResourceUpdated({ uri: 'file:///etc/passwd' });
      return { content: [{ type: 'text', text: 'touched' }] };
    });
    for (const name of ['greet', 'secret_prompt']) {
      const argsSchema = { who: completable(z.string(), () => ['ada', 'alan']) };
      s.registerPrompt(name, { argsSchema }, ({ who }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `hi ${who}` } }] }));
    }
    for (const uri of ['file:///tmp/a.txt', 'file:///etc/passwd']) {
      s.registerResource(uri, uri, {}, async () => {
        calls.push(uri);
        return { contents: [{ uri, text: uri }] };
      });
    }
    s.registerResource('tmp-files', new ResourceTemplate('file:///tmp/{name}', { list: undefined }), {}, async (uri) => ({
      contents: [{ uri: uri.href, text: 'x' }],
    }));
    return s;
  };

/** A proxy with one filter in front of one upstream, and a client connected to it. */
async function oneUpstream(options: FilterOptions, calls: string[] = [], log: Logger = silentLogger) {
  const proxy = createProxy({ upstreams: [memoryUpstream('up', server(calls))], middleware: [await filter(options, { log })] });
  proxies.push(proxy);
  return memoryClient(proxy);
}

const codeOf = async (p: Promise<unknown>): Promise<{ code: unknown; message: string }> => {
  try {
    await p;
  } catch (err) {
    const e = err as { code?: unknown; message: string };
    return { code: e.code, message: e.message };
  }
  throw new Error('expected the request to fail');
};

describe('filter, one upstream', () => {
  it('hides a denied tool from the list and answers a call by its name as if it did not exist', async () => {
    const calls: string[] = [];
    const client = await oneUpstream({ tools: { deny: ['delete_*'] } }, calls);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['read_file', 'touch']);
    const hidden = await codeOf(client.callTool({ name: 'delete_all' }));
    // Exactly core's answer for a name that does not exist.
    const expected = notFound('tool', 'delete_all').error;
    expect(hidden.code).toBe(expected?.code);
    expect(hidden.message).toBe(`MCP error ${expected?.code}: ${expected?.message}`);
    expect(calls).toEqual([]);
    await client.callTool({ name: 'read_file' });
    expect(calls).toEqual(['read_file']);
  });

  it('lets deny win over allow', async () => {
    const client = await oneUpstream({ tools: { allow: ['*_file', 'touch'], deny: ['delete_*'] } });
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['read_file', 'touch']);
    expect((await codeOf(client.callTool({ name: 'delete_file' }))).code).toBe(-32602);
  });

  it('allows only what an allow list names', async () => {
    const client = await oneUpstream({ prompts: { allow: ['greet'] } });
    expect((await client.listPrompts()).prompts.map((p) => p.name)).toEqual(['greet']);
    expect((await codeOf(client.getPrompt({ name: 'secret_prompt', arguments: { who: 'x' } }))).message).toContain('Prompt secret_prompt not found');
    expect((await client.getPrompt({ name: 'greet', arguments: { who: 'ada' } })).messages).toHaveLength(1);
  });

  it('refuses to read, subscribe to or unsubscribe from a hidden resource with -32002', async () => {
    const calls: string[] = [];
    const client = await oneUpstream({ resources: { allow: ['file:///tmp/**'] } }, calls);
    expect((await client.listResources()).resources.map((r) => r.uri)).toEqual(['file:///tmp/a.txt']);
    for (const refused of [
      client.readResource({ uri: 'file:///etc/passwd' }),
      client.subscribeResource({ uri: 'file:///etc/passwd' }),
      client.unsubscribeResource({ uri: 'file:///etc/passwd' }),
    ]) {
      const e = await codeOf(refused);
      expect(e.code).toBe(-32002);
      expect(e.message).toContain('Resource file:///etc/passwd not found');
    }
    expect(calls).toEqual([]);
    expect((await client.readResource({ uri: 'file:///tmp/a.txt' })).contents).toHaveLength(1);
  });

  it('judges a URI made from a template by the resources rules alone', async () => {
    const client = await oneUpstream({ resources: { deny: ['file:///tmp/secret*'] } });
    expect((await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate)).toEqual(['file:///tmp/{name}']);
    expect((await client.readResource({ uri: 'file:///tmp/notes' })).contents).toHaveLength(1);
    expect((await codeOf(client.readResource({ uri: 'file:///tmp/secret.key' }))).code).toBe(-32002);
  });

  it('hides templates by their uriTemplate text, and refuses completion on them', async () => {
    const client = await oneUpstream({ resourceTemplates: { deny: ['file:///tmp/*'] } });
    expect((await client.listResourceTemplates()).resourceTemplates).toEqual([]);
    const ref = { type: 'ref/resource' as const, uri: 'file:///tmp/{name}' };
    const e = await codeOf(client.complete({ ref, argument: { name: 'name', value: '' } }));
    expect(e.message).toContain('Resource template file:///tmp/{name} not found');
  });

  it('refuses completion for a hidden prompt and answers it for a visible one', async () => {
    const client = await oneUpstream({ prompts: { deny: ['secret_*'] } });
    const argument = { name: 'who', value: 'a' };
    expect((await client.complete({ ref: { type: 'ref/prompt', name: 'greet' }, argument })).completion.values).toEqual(['ada', 'alan']);
    const e = await codeOf(client.complete({ ref: { type: 'ref/prompt', name: 'secret_prompt' }, argument }));
    expect(e.message).toContain('Prompt secret_prompt not found');
  });

  it('drops resource updates about hidden URIs on the way down', async () => {
    const client = await oneUpstream({ resources: { deny: ['file:///etc/**'] } });
    const heard: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      heard.push(n.params.uri);
    });
    await client.callTool({ name: 'touch' });
    expect(heard).toEqual(['file:///tmp/a.txt']);
  });

  it('refuses unknown options with a ConfigError that names them', () => {
    expect(() => filter({ tool: { deny: ['x'] } }, { log: silentLogger })).toThrow(/tool/);
    expect(() => filter({ tools: { deny: 'x' } }, { log: silentLogger })).toThrow(/tools\.deny/);
  });
});

/** Two upstreams, `a` and `b`, with the same items; `order` places the filter around the router. */
async function twoUpstreams(options: FilterOptions, order: 'before' | 'after', log: Logger = silentLogger) {
  const mw = await filter(options, { log });
  const middleware: Middleware[] = order === 'after' ? [router, mw] : [mw, router];
  const proxy = createProxy({ upstreams: [memoryUpstream('a', server()), memoryUpstream('b', server())], middleware });
  proxies.push(proxy);
  return memoryClient(proxy);
}

describe('filter, several upstreams', () => {
  it('applies per-upstream rules on top of the global ones when it sits after routing', async () => {
    const client = await twoUpstreams({ tools: { deny: ['touch'] }, upstreams: { b: { tools: { allow: ['read_*'] } } } }, 'after');
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['a__read_file', 'a__delete_file', 'a__delete_all', 'b__read_file']);
    await client.callTool({ name: 'a__delete_file' });
    expect((await codeOf(client.callTool({ name: 'b__delete_file' }))).message).toContain('Tool b__delete_file not found');
    expect((await codeOf(client.callTool({ name: 'a__touch' }))).code).toBe(-32602);
  });

  it('sees the merged names when it sits before routing, for global rules', async () => {
    const client = await twoUpstreams({ tools: { deny: ['b__*', '*touch'] } }, 'before');
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['a__read_file', 'a__delete_file', 'a__delete_all']);
    expect((await codeOf(client.callTool({ name: 'b__read_file' }))).message).toContain('Tool b__read_file not found');
  });

  it('refuses with -32603 and logs once when per-upstream rules sit before routing', async () => {
    const logged: string[] = [];
    const log: Logger = { ...silentLogger, error: (_o, msg) => void logged.push(msg ?? '') };
    const client = await twoUpstreams({ upstreams: { b: { tools: { deny: ['*'] } } } }, 'before', log);
    for (const attempt of [client.listTools(), client.callTool({ name: 'a__read_file' })]) {
      const e = await codeOf(attempt);
      expect(e.code).toBe(-32603);
      expect(e.message).toContain('move filter after aggregate in the pipeline');
    }
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('upstream(s) b');
  });
});
