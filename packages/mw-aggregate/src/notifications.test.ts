import { afterEach, describe, expect, it } from 'vitest';
import { type McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CreateMessageRequestSchema,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  SubscribeRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  SetLevelRequestSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { eventually, memoryUpstream } from '@mcproxy/testing';
import { start, stop, text, textOf, toolServer } from '../test/servers.js';

afterEach(stop);

/** A low-level server with one tool whose tools/list calls are counted. */
function counted(name: string, counter: { lists: number; levels: number }, hang = false): () => Server {
  return () => {
    const s = new Server({ name, version: '1' }, { capabilities: { tools: { listChanged: true }, logging: {} } });
    s.setRequestHandler(ListToolsRequestSchema, async (_req, extra) => {
      counter.lists++;
      if (hang) await new Promise((resolve) => extra.signal.addEventListener('abort', resolve));
      return { tools: [{ name: `${name}_tool`, inputSchema: { type: 'object' } }] };
    });
    s.setRequestHandler(SetLevelRequestSchema, async () => {
      counter.levels++;
      return {};
    });
    return s;
  };
}

describe('aggregate: what upstreams say, and upstreams that fail', () => {
  it('a list_changed from one of three upstreams refreshes only its part and reaches the client once', async () => {
    const a = { lists: 0, levels: 0 };
    const c = { lists: 0, levels: 0 };
    const b = memoryUpstream('b', toolServer('b', ['first']));
    const client = await start([memoryUpstream('a', counted('a', a)), b, memoryUpstream('c', counted('c', c))]);
    let changes = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changes++;
    });
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['a_tool', 'first', 'c_tool']);
    await client.listTools();
    expect([a.lists, c.lists]).toEqual([1, 1]);
    (b.servers[0] as McpServer).registerTool('second', {}, async () => text('b:second'));
    await eventually(() => changes === 1);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['a_tool', 'first', 'second', 'c_tool']);
    expect([a.lists, c.lists]).toEqual([1, 1]);
    expect(textOf(await client.callTool({ name: 'second' }))).toBe('b:second');
    expect(changes).toBe(1);
  });

  it('answers lists without an upstream that does not answer in time', async () => {
    const slow = { lists: 0, levels: 0 };
    const client = await start(
      [memoryUpstream('a', toolServer('a', ['x'])), memoryUpstream('slow', counted('slow', slow, true)), memoryUpstream('c', toolServer('c', ['z']))],
      { timeoutMs: 150 },
    );
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['x', 'z']);
    expect(slow.lists).toBe(1);
  });

  it('serves the living when one of three is dead, and calls to the dead one fail fast naming it', async () => {
    const dead = memoryUpstream('dead', toolServer('dead', ['gone']));
    const client = await start([memoryUpstream('a', toolServer('a', ['x'])), dead, memoryUpstream('c', toolServer('c', ['z']))], { retryMs: 60_000 });
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['x', 'gone', 'z']);
    dead.fail('connection refused');
    await dead.servers[0]?.close();
    await expect(client.callTool({ name: 'gone' })).rejects.toThrow(/upstream "dead"/);
    const opened = dead.opened;
    await expect(client.callTool({ name: 'gone' })).rejects.toThrow(/upstream "dead" is unavailable/);
    expect(dead.opened).toBe(opened);
    expect(textOf(await client.callTool({ name: 'x' }))).toBe('a:x');
  });

  it('initializes with the upstreams that can, when one cannot even connect', async () => {
    const dead = memoryUpstream('dead', toolServer('dead', ['gone']));
    dead.fail('connection refused');
    const client = await start([memoryUpstream('a', toolServer('a', ['x'])), dead]);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['x']);
  });

  it('fans logging/setLevel out and says which upstream logged', async () => {
    const a = { lists: 0, levels: 0 };
    const b = { lists: 0, levels: 0 };
    const logger = memoryUpstream(
      'loud',
      toolServer('loud', ['shout'], (s) => {
        s.registerTool('log', {}, async (extra) => {
          await extra.sendNotification({ method: 'notifications/message', params: { level: 'error', logger: 'core', data: 'boom' } });
          return text('logged');
        });
      }),
    );
    const client = await start([memoryUpstream('a', counted('a', a)), memoryUpstream('b', counted('b', b)), logger]);
    await client.setLoggingLevel('debug');
    expect([a.levels, b.levels]).toEqual([1, 1]);
    const messages: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      messages.push(n.params);
    });
    await client.callTool({ name: 'log' });
    await eventually(() => messages.length === 1);
    expect(messages[0]).toMatchObject({ logger: 'loud/core', data: 'boom' });
  });

  it('routes sampling an upstream asks for to the client, and the answer back', async () => {
    const asker = memoryUpstream(
      'asker',
      toolServer('asker', [], (s) => {
        s.registerTool('think', {}, async () => {
          const r = await s.server.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 5 });
          return text(`model said ${(r.content as { text: string }).text}`);
        });
      }),
    );
    const client = await start([memoryUpstream('a', toolServer('a', ['x'])), asker]);
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({ role: 'assistant', model: 'm', content: { type: 'text', text: 'hello' } }));
    expect(textOf(await client.callTool({ name: 'think' }))).toBe('model said hello');
  });
});

describe('aggregate: resources, prompts and completions', () => {
  const docs = (name: string) =>
    toolServer(name, [], (s) => {
      s.registerResource('readme', 'file:///readme', {}, async (uri) => ({ contents: [{ uri: uri.href, text: `${name} readme` }] }));
      s.registerResource(`${name}-only`, `${name}://only`, {}, async (uri) => ({ contents: [{ uri: uri.href, text: `${name} only` }] }));
      s.registerResource(
        'page',
        new ResourceTemplate(`${name}://pages/{page}`, {
          list: undefined,
          complete: { page: () => [`${name}-1`, `${name}-2`] },
        }),
        {},
        async (uri) => ({ contents: [{ uri: uri.href, text: `${name} ${uri.href}` }] }),
      );
      s.registerPrompt(`greet_${name}`, { argsSchema: {} }, () => ({ messages: [{ role: 'user', content: { type: 'text', text: `from ${name}` } }] }));
    });

  it('rewrites URIs two upstreams share, and reads each from its owner', async () => {
    const client = await start([memoryUpstream('a', docs('a')), memoryUpstream('b', docs('b'))]);
    const uris = (await client.listResources()).resources.map((r) => r.uri);
    expect(uris).toEqual(['mcproxy://a/file%3A%2F%2F%2Freadme', 'a://only', 'mcproxy://b/file%3A%2F%2F%2Freadme', 'b://only']);
    const read = async (uri: string) => ((await client.readResource({ uri })).contents[0] as { text: string }).text;
    expect(await read(uris[2] as string)).toBe('b readme');
    expect(await read('a://only')).toBe('a only');
    expect(await read('b://pages/7')).toBe('b b://pages/7');
    await expect(client.readResource({ uri: 'nowhere://x' })).rejects.toMatchObject({ code: -32002 });
  });

  it('gets prompts and completes arguments at their owners', async () => {
    const client = await start([memoryUpstream('a', docs('a')), memoryUpstream('b', docs('b'))]);
    const prompt = await client.getPrompt({ name: 'greet_b' });
    expect(prompt.messages[0]?.content).toMatchObject({ text: 'from b' });
    const done = await client.complete({ ref: { type: 'ref/resource', uri: 'a://pages/{page}' }, argument: { name: 'page', value: '' } });
    expect(done.completion.values).toEqual(['a-1', 'a-2']);
  });

  it('maps a resource update back to the URI the client subscribed to', async () => {
    const subscribed: string[] = [];
    const watched = (name: string) =>
      memoryUpstream(name, () => {
        const s = new Server({ name, version: '1' }, { capabilities: { resources: { subscribe: true } } });
        s.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: [{ uri: 'file:///log', name: 'log' }] }));
        s.setRequestHandler(SubscribeRequestSchema, async (req) => {
          subscribed.push(`${name} ${req.params.uri}`);
          setTimeout(() => void s.sendResourceUpdated({ uri: req.params.uri }), 5);
          return {};
        });
        return s;
      });
    const client = await start([watched('a'), watched('b')]);
    const updates: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updates.push(n.params.uri);
    });
    const uris = (await client.listResources()).resources.map((r) => r.uri);
    await client.subscribeResource({ uri: uris[1] as string });
    expect(subscribed).toEqual(['b file:///log']);
    await eventually(() => updates.length === 1);
    expect(updates).toEqual(['mcproxy://b/file%3A%2F%2F%2Flog']);
  });
});
