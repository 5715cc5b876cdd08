import { afterEach, describe, expect, it } from 'vitest';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import { createChannelPair, createProxy, notFound, silentLogger, type Logger, type Middleware, type Proxy, type UpstreamSpec } from '@mcproxy/core';
import { memoryClient, memoryUpstream } from '@mcproxy/testing';
import * as z from 'zod';
import { aggregate } from '@mcproxy/mw-aggregate';

/** The real router, naming every item `<upstream>__<name>` so a test can tell the upstreams apart. */
const router = await aggregate({ prefix: 'always' }, { log: silentLogger });
import rename, { type RenameOptions } from './index.js';

let proxies: Proxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  proxies = [];
});

/** Tools `read_file` and `cat`, prompt `greet`; `ran` records which upstream tool or prompt ran. */
const server =
  (ran: string[] = []) =>
  (): McpServer => {
    const s = new McpServer({ name: 'up', version: '1.0.0' });
    for (const name of ['read_file', 'cat']) {
      s.registerTool(name, { title: `${name} title`, description: `${name} description` }, async () => {
        ran.push(name);
        return { content: [{ type: 'text', text: name }] };
      });
    }
    const argsSchema = { who: completable(z.string(), () => ['ada', 'alan']) };
    s.registerPrompt('greet', { description: 'greets', argsSchema }, ({ who }) => {
      ran.push('greet');
      return { messages: [{ role: 'user', content: { type: 'text', text: `hi ${who}` } }] };
    });
    return s;
  };

async function connect(middleware: Middleware[], ran: string[] = [], names = ['up']) {
  const upstreams = names.map((n) => memoryUpstream(n, server(ran)));
  const proxy = createProxy({ upstreams, middleware });
  proxies.push(proxy);
  return memoryClient(proxy);
}

const mw = (options: RenameOptions, log: Logger = silentLogger) => rename(options, { log }) as Promise<Middleware>;

const failure = async (p: Promise<unknown>): Promise<{ code: unknown; message: string }> => {
  try {
    await p;
  } catch (err) {
    const e = err as { code?: unknown; message: string };
    return { code: e.code, message: e.message };
  }
  throw new Error('expected the request to fail');
};

const asWire = (reply: ReturnType<typeof notFound>): { code: unknown; message: string } => ({
  code: reply.error?.code,
  message: `MCP error ${reply.error?.code}: ${reply.error?.message}`,
});

describe('rename', () => {
  it('answers a call by the old name as if the tool did not exist', async () => {
    const ran: string[] = [];
    const client = await connect([await mw({ tools: { read_file: 'read' } })], ran);
    expect(await failure(client.callTool({ name: 'read_file' }))).toEqual(asWire(notFound('tool', 'read_file')));
    expect(ran).toEqual([]);
  });

  it('lists the new name and sends a call by it to the upstream under the old one', async () => {
    const ran: string[] = [];
    const client = await connect([await mw({ tools: { read_file: 'read' } })], ran);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['read', 'cat']);
    const result = await client.callTool({ name: 'read' });
    expect(result.content).toEqual([{ type: 'text', text: 'read_file' }]);
    expect(ran).toEqual(['read_file']);
  });

  it('overrides title and description, with or without a new name', async () => {
    const client = await connect([
      await mw({
        tools: {
          read_file: { name: 'read', title: 'Read a file', description: 'Reads one file.' },
          cat: { description: 'Prints files.' },
        },
      }),
    ]);
    const tools = (await client.listTools()).tools;
    expect(tools.map((t) => [t.name, t.title, t.description])).toEqual([
      ['read', 'Read a file', 'Reads one file.'],
      ['cat', 'cat title', 'Prints files.'],
    ]);
    await client.callTool({ name: 'cat' });
  });

  it('composes when stacked, as two chained proxies would', async () => {
    const ran: string[] = [];
    const outer = await mw({ tools: { first: { name: 'second', title: 'Second' } } });
    const inner = await mw({ tools: { read_file: { name: 'first', description: 'inner' } } });
    const client = await connect([outer, inner], ran);
    const [tool] = (await client.listTools()).tools;
    expect([tool?.name, tool?.title, tool?.description]).toEqual(['second', 'Second', 'inner']);
    await client.callTool({ name: 'second' });
    expect(ran).toEqual(['read_file']);
    for (const old of ['first', 'read_file']) {
      expect(await failure(client.callTool({ name: old }))).toEqual(asWire(notFound('tool', old)));
    }
  });

  it('composes across two chained proxies', async () => {
    const ran: string[] = [];
    const inner = createProxy({ upstreams: [memoryUpstream('up', server(ran))], middleware: [await mw({ tools: { read_file: 'first' } })] });
    const viaInner: UpstreamSpec = {
      name: 'inner',
      mode: 'per-session',
      async connect() {
        const [ours, theirs] = createChannelPair();
        await inner.accept(theirs);
        return ours;
      },
    };
    const outer = createProxy({ upstreams: [viaInner], middleware: [await mw({ tools: { first: 'second' } })] });
    proxies.push(outer, inner);
    const client = await memoryClient(outer);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['second', 'cat']);
    await client.callTool({ name: 'second' });
    expect(ran).toEqual(['read_file']);
    expect(await failure(client.callTool({ name: 'first' }))).toEqual(asWire(notFound('tool', 'first')));
  });

  it('renames prompts for listing, getting and completion', async () => {
    const ran: string[] = [];
    const client = await connect([await mw({ prompts: { greet: { name: 'hello', description: 'says hello' } } })], ran);
    expect((await client.listPrompts()).prompts.map((p) => [p.name, p.description])).toEqual([['hello', 'says hello']]);
    await client.getPrompt({ name: 'hello', arguments: { who: 'ada' } });
    expect(ran).toEqual(['greet']);
    const argument = { name: 'who', value: 'a' };
    expect((await client.complete({ ref: { type: 'ref/prompt', name: 'hello' }, argument })).completion.values).toEqual(['ada', 'alan']);
    expect(await failure(client.complete({ ref: { type: 'ref/prompt', name: 'greet' }, argument }))).toEqual(asWire(notFound('prompt', 'greet')));
    expect(await failure(client.getPrompt({ name: 'greet', arguments: { who: 'x' } }))).toEqual(asWire(notFound('prompt', 'greet')));
  });

  it('hides an original that a new name shadows, and warns once', async () => {
    const ran: string[] = [];
    const warnings: string[] = [];
    const log: Logger = { ...silentLogger, warn: (_o, msg) => void warnings.push(msg ?? '') };
    const client = await connect([await mw({ tools: { read_file: 'cat' } }, log)], ran);
    for (let i = 0; i < 2; i++) {
      const tools = (await client.listTools()).tools;
      expect(tools.map((t) => [t.name, t.description])).toEqual([['cat', 'read_file description']]);
    }
    await client.callTool({ name: 'cat' });
    expect(ran).toEqual(['read_file']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('"cat"');
  });

  it('lets a swap work both ways', async () => {
    const ran: string[] = [];
    const client = await connect([await mw({ tools: { read_file: 'cat', cat: 'read_file' } })], ran);
    expect((await client.listTools()).tools.map((t) => [t.name, t.description])).toEqual([
      ['cat', 'read_file description'],
      ['read_file', 'cat description'],
    ]);
    await client.callTool({ name: 'cat' });
    expect(ran).toEqual(['read_file']);
  });

  it("works after routing, on each upstream's own names", async () => {
    const ran: string[] = [];
    const client = await connect([router, await mw({ tools: { read_file: 'read' } })], ran, ['a', 'b']);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['a__read', 'a__cat', 'b__read', 'b__cat']);
    await client.callTool({ name: 'b__read' });
    expect(ran).toEqual(['read_file']);
    expect((await failure(client.callTool({ name: 'a__read_file' }))).message).toContain('Tool a__read_file not found');
  });

  it('works before routing, on the merged names', async () => {
    const ran: string[] = [];
    const client = await connect([await mw({ tools: { b__read_file: 'read' } }), router], ran, ['a', 'b']);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['a__read_file', 'a__cat', 'read', 'b__cat']);
    await client.callTool({ name: 'read' });
    expect(ran).toEqual(['read_file']);
    expect((await failure(client.callTool({ name: 'b__read_file' }))).message).toContain('Tool b__read_file not found');
  });
});

describe('rename options', () => {
  const build = (options: unknown) => () => rename(options, { log: silentLogger });

  it('refuse two old names under one new name', () => {
    expect(build({ tools: { a: 'x', b: 'x' } })).toThrow(/tools\.b: "a" and "b" would both be named "x"/);
    expect(build({ prompts: { a: 'b', b: { title: 'B' } } })).toThrow(/"a" and "b" would both be named "b"/);
  });

  it('refuse a new name that is not a valid MCP tool name', () => {
    expect(build({ tools: { a: 'has space' } })).toThrow(/tools\.a/);
    expect(build({ tools: { a: { name: 'x'.repeat(129) } } })).toThrow(/tools\.a/);
    expect(build({ tools: { a: '' } })).toThrow(/tools\.a/);
    expect(build({ tools: { 'old name with spaces': 'fine.name-1_ok' } })).not.toThrow();
  });

  it('refuse unknown options', () => {
    expect(build({ resources: {} })).toThrow(/resources/);
    expect(build({ tools: { a: { nmae: 'b' } } })).toThrow(/tools\.a/);
  });
});
