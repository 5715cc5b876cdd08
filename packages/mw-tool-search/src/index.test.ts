import { ConfigError, type Params, type Reply } from '@mcproxy/core';
import { fromFactory, testMiddleware, type Kit, type ScriptedTool } from '@mcproxy/test-kit';
import { filter } from '@mcproxy/mw-filter';
import { rename } from '@mcproxy/mw-rename';
import { afterEach, describe, expect, it } from 'vitest';
import toolSearch, { type ToolSearchOptions } from './index.js';

const kits: Kit[] = [];
afterEach(async () => {
  await Promise.all(kits.splice(0).map((k) => k.close()));
});

const TOOLS: ScriptedTool[] = [
  { name: 'create_issue', description: 'Create an issue in a GitHub repository: a bug report or feature request.', call: (a) => `issue ${String(a.title)}` },
  { name: 'send_message', description: 'Send a chat message to a Slack channel.' },
  { name: 'get_forecast', description: 'The weather forecast for a city.', inputSchema: { type: 'object', properties: { city: { type: 'string' } } } },
  { name: 'delete_repository', description: 'Delete a GitHub repository and all its issues.' },
];

async function kit(options: ToolSearchOptions = {}, era: 'legacy' | 'modern' = 'legacy', after: Array<Parameters<typeof fromFactory>> = []): Promise<Kit> {
  const chain = [await fromFactory(toolSearch, options), ...(await Promise.all(after.map((a) => fromFactory(...a))))];
  const k = await testMiddleware(chain, { era, upstream: { tools: TOOLS } });
  kits.push(k);
  return k;
}

const names = (reply: Reply): string[] => ((reply.result?.tools ?? []) as Params[]).map((t) => String(t.name));
const found = (reply: Reply): string[] => (((reply.result?.structuredContent as Params | undefined)?.results ?? []) as Params[]).map((r) => String(r.name));
const text = (reply: Reply): string => String(((reply.result?.content as Params[] | undefined)?.[0] as Params | undefined)?.text);

describe.each(['legacy', 'modern'] as const)('tool-search (%s client)', (era) => {
  it('lists three tools in place of the catalog, plus the pinned ones as the chain lists them', async () => {
    expect(names(await (await kit({}, era)).call('tools/list'))).toEqual(['search_tools', 'describe_tool', 'call_tool']);
    const pinned = await kit({ pinned: ['create_*', 'get_forecast'] }, era);
    const list = await pinned.call('tools/list');
    expect(names(list)).toEqual(['search_tools', 'describe_tool', 'call_tool', 'create_issue', 'get_forecast']);
    expect((list.result?.tools as Params[])[4]).toMatchObject({ inputSchema: { properties: { city: { type: 'string' } } } });
  });

  it('ranks the catalog by the words of a query, best first, and honours limit', async () => {
    const k = await kit({}, era);
    const reply = await k.callTool('search_tools', { query: 'open a bug report on github' });
    expect(found(reply)[0]).toBe('create_issue');
    expect(found(reply)).not.toContain('get_forecast');
    expect(found(await k.callTool('search_tools', { query: 'weather in Paris' }))).toEqual(['get_forecast']);
    expect(found(await k.callTool('search_tools', { query: 'github', limit: 1 }))).toHaveLength(1);
    expect(found(await k.callTool('search_tools', { query: 'zebra' }))).toEqual([]);
    // A session keeps its catalog; a modern client's list said nothing of caching (private, ttlMs 0), so it is fetched per search.
    expect(k.sent('tools/list')).toHaveLength(era === 'legacy' ? 1 : 4);
  });

  it('answers a bad search with a tool error the model can read', async () => {
    const k = await kit({ maxResults: 10 }, era);
    for (const args of [{}, { query: '' }, { query: 'x'.repeat(1001) }, { query: 'github', limit: 11 }, { query: 'github', limit: 1.5 }]) {
      const reply = await k.callTool('search_tools', args);
      expect(reply.result?.isError, JSON.stringify(args)).toBe(true);
    }
  });

  it('describes a tool whole, and a missing one as missing', async () => {
    const k = await kit({}, era);
    const reply = await k.callTool('describe_tool', { name: 'get_forecast' });
    expect(reply.result?.structuredContent).toEqual({
      name: 'get_forecast',
      description: 'The weather forecast for a city.',
      inputSchema: { type: 'object', properties: { city: { type: 'string' } } },
    });
    expect(JSON.parse(text(reply))).toEqual(reply.result?.structuredContent);
    const missing = await k.callTool('describe_tool', { name: 'nope' });
    expect(missing.result).toMatchObject({ isError: true, content: [{ text: 'Tool nope not found. Find tools with search_tools.' }] });
  });

  it('calls a tool by name as an ordinary tools/call, arguments and progress token with it', async () => {
    const k = await kit({}, era);
    const reply = await k.call('tools/call', {
      name: 'call_tool',
      arguments: { name: 'create_issue', arguments: { title: 'crash' } },
      _meta: { progressToken: 7 },
    });
    expect(reply.result?.content).toEqual([{ type: 'text', text: 'issue crash' }]);
    expect(k.sent('tools/call')).toEqual([{ name: 'create_issue', arguments: { title: 'crash' }, _meta: { progressToken: expect.anything() } }]);
    for (const args of [{ name: 'nope' }, { name: 'create_issue', arguments: 'x' }, { name: 'search_tools' }, {}]) {
      expect((await k.callTool('call_tool', args)).result?.isError, JSON.stringify(args)).toBe(true);
    }
    expect(k.sent('tools/call')).toHaveLength(1);
  });

  it('finds, describes and calls only what a filter after it lets through, and renamed tools by their new names', async () => {
    const k = await kit({}, era, [
      [filter, { tools: { deny: ['delete_*'] } }],
      [rename, { tools: { create_issue: 'file_bug' } }],
    ]);
    expect(found(await k.callTool('search_tools', { query: 'delete github repository' }))).not.toContain('delete_repository');
    expect((await k.callTool('describe_tool', { name: 'delete_repository' })).result?.isError).toBe(true);
    expect((await k.callTool('call_tool', { name: 'delete_repository' })).result?.content).toEqual([
      { type: 'text', text: 'Tool delete_repository not found. Find tools with search_tools.' },
    ]);
    // Called by its own name, it meets the filter itself.
    expect((await k.callTool('delete_repository')).error).toMatchObject({ code: -32602 });
    expect(found(await k.callTool('search_tools', { query: 'bug report' }))[0]).toBe('file_bug');
    expect((await k.callTool('call_tool', { name: 'file_bug', arguments: { title: 't' } })).result?.content).toEqual([{ type: 'text', text: 'issue t' }]);
    expect(k.sent('tools/call').map((c) => c.name)).toEqual(['create_issue']);
  });

  it('passes a direct call by a tool name on, or refuses it unless pinned when directCalls is off', async () => {
    const open = await kit({}, era);
    expect((await open.callTool('create_issue', { title: 'a' })).result?.content).toEqual([{ type: 'text', text: 'issue a' }]);
    const closed = await kit({ directCalls: false, pinned: ['get_*'] }, era);
    expect((await closed.callTool('create_issue', { title: 'a' })).error).toMatchObject({ code: -32602, message: 'Tool create_issue not found' });
    expect((await closed.callTool('get_forecast')).result?.isError).toBeUndefined();
    expect(closed.sent('tools/call').map((c) => c.name)).toEqual(['get_forecast']);
  });

  it('lists the whole catalog after the three with replace: false, and gives schemas in results with schemas: true', async () => {
    const k = await kit({ replace: false, schemas: true }, era);
    expect(names(await k.call('tools/list'))).toEqual(['search_tools', 'describe_tool', 'call_tool', ...TOOLS.map((t) => t.name)]);
    const [hit] = ((await k.callTool('search_tools', { query: 'weather' })).result?.structuredContent as Params).results as Params[];
    expect(hit).toMatchObject({ name: 'get_forecast', inputSchema: { properties: { city: { type: 'string' } } } });
    const plain = await kit({}, era);
    const [bare] = ((await plain.callTool('search_tools', { query: 'weather' })).result?.structuredContent as Params).results as Params[];
    expect(bare).not.toHaveProperty('inputSchema');
  });

  it('refuses a cursor it never gave out', async () => {
    expect((await (await kit({}, era)).call('tools/list', { cursor: 'abc' })).error).toMatchObject({ code: -32602 });
  });
});

/** An upstream that lists `count` tools `t0`… in pages of `size`, with the given caching hints. */
function paged(count: number, size: number, hints: Params = {}) {
  // A listen is answered when the client ends it; the kit closes it with the session.
  const listening = new Promise<Reply>(() => undefined);
  const all = Array.from({ length: count }, (_, i) => ({ name: `t${i}`, description: `tool number ${i}`, inputSchema: { type: 'object' } }));
  return {
    handle(method: string, params: Params): Reply | Promise<Reply> | undefined {
      if (method === 'subscriptions/listen') return listening;
      if (method !== 'tools/list') return undefined;
      const from = typeof params.cursor === 'string' ? Number(params.cursor) : 0;
      const next = from + size < count ? { nextCursor: String(from + size) } : {};
      return { result: { tools: all.slice(from, from + size), ...next, ...hints } };
    },
  };
}

describe('the catalog', () => {
  it('follows every page, up to maxPages and maxTools, warning once', async () => {
    const warned: string[] = [];
    const log = { ...(await import('@mcproxy/core')).silentLogger, warn: (_o: unknown, m?: string) => void warned.push(m ?? '') };
    const whole = await testMiddleware(await fromFactory(toolSearch, {}), { upstream: paged(25, 10) });
    kits.push(whole);
    expect(found(await whole.callTool('search_tools', { query: 'tool number 24' }))).toContain('t24');
    expect(whole.sent('tools/list').map((p) => p.cursor)).toEqual([undefined, '10', '20']);
    const capped = await testMiddleware(await fromFactory(toolSearch, { maxTools: 12 }, log as never), { upstream: paged(25, 10) });
    kits.push(capped);
    expect((await capped.callTool('describe_tool', { name: 't11' })).result?.isError).toBeUndefined();
    expect((await capped.callTool('describe_tool', { name: 't12' })).result?.isError).toBe(true);
    const short = await testMiddleware(await fromFactory(toolSearch, { maxPages: 2 }, log as never), { upstream: paged(25, 10) });
    kits.push(short);
    expect((await short.callTool('describe_tool', { name: 't20' })).result?.isError).toBe(true);
    expect(short.sent('tools/list')).toHaveLength(2);
    expect(warned.filter((m) => m.includes('maxTools'))).toHaveLength(1);
    expect(warned.filter((m) => m.includes('maxPages'))).toHaveLength(1);
  });

  it('is fetched again after list_changed, and the notification still reaches the client', async () => {
    const k = await kit();
    await k.callTool('search_tools', { query: 'github' });
    await k.callTool('search_tools', { query: 'github' });
    expect(k.sent('tools/list')).toHaveLength(1);
    await k.notifyFromUpstream('notifications/tools/list_changed');
    await expect.poll(() => k.notifications.map((n) => n.method)).toContain('notifications/tools/list_changed');
    await k.callTool('search_tools', { query: 'github' });
    expect(k.sent('tools/list')).toHaveLength(2);
  });

  it('is kept for a 2026-07-28 client only when the list says it is public, for its ttlMs, and dropped on list_changed from a listen', async () => {
    const shared = await testMiddleware(await fromFactory(toolSearch, {}), { era: 'modern', upstream: paged(3, 10, { ttlMs: 60_000, cacheScope: 'public' }) });
    const own = await testMiddleware(await fromFactory(toolSearch, {}), { era: 'modern', upstream: paged(3, 10, { ttlMs: 60_000, cacheScope: 'private' }) });
    kits.push(shared, own);
    for (const k of [shared, own]) for (let i = 0; i < 2; i++) await k.callTool('search_tools', { query: 'tool' });
    expect(shared.sent('tools/list')).toHaveLength(1);
    expect(own.sent('tools/list')).toHaveLength(2);
    // list_changed on a modern client's listen stream drops a kept catalog too.
    void shared.call('subscriptions/listen', { notifications: { toolsListChanged: true } });
    await expect.poll(() => shared.sent('subscriptions/listen')).toHaveLength(1);
    await shared.notifyFromUpstream('notifications/tools/list_changed');
    await expect.poll(() => shared.notifications.map((n) => n.method)).toContain('notifications/tools/list_changed');
    await shared.callTool('search_tools', { query: 'tool' });
    expect(shared.sent('tools/list')).toHaveLength(2);
    const listed = await testMiddleware(await fromFactory(toolSearch, { pinned: ['t1'] }), {
      era: 'modern',
      upstream: paged(3, 10, { ttlMs: 5000, cacheScope: 'public' }),
    });
    kits.push(listed);
    expect((await listed.call('tools/list')).result).toMatchObject({ ttlMs: 5000, cacheScope: 'public' });
  });
});

describe('a catalog tool named like one of the three', () => {
  it('is shadowed in the list and in direct calls, reached through describe_tool and call_tool, and warned about', async () => {
    const warned: string[] = [];
    const log = { ...(await import('@mcproxy/core')).silentLogger, warn: (_o: unknown, m?: string) => void warned.push(m ?? '') };
    const upstream = { tools: [{ name: 'search_tools', description: 'the real one', call: () => 'real' }, ...TOOLS] };
    const k = await testMiddleware(await fromFactory(toolSearch, { pinned: ['search_tools'] }, log as never), { upstream });
    kits.push(k);
    expect(names(await k.call('tools/list'))).toEqual(['search_tools', 'describe_tool', 'call_tool']);
    expect(found(await k.callTool('search_tools', { query: 'github' }))).toContain('create_issue');
    expect((await k.callTool('describe_tool', { name: 'search_tools' })).result?.structuredContent).toMatchObject({ description: 'the real one' });
    expect((await k.callTool('call_tool', { name: 'search_tools' })).result?.content).toEqual([{ type: 'text', text: 'real' }]);
    expect((await k.callTool('call_tool', { name: 'describe_tool' })).result?.isError).toBe(true);
    expect(warned.filter((m) => m.includes('named like one of the three'))).toHaveLength(1);
  });
});

describe('options', () => {
  it('refuses bad options with a ConfigError that names them', async () => {
    const bad = async (options: unknown): Promise<string> => {
      try {
        await fromFactory(toolSearch, options);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error('expected a ConfigError');
    };
    expect(await bad({ pinned: [''] })).toContain('pinned.0');
    expect(await bad({ names: { search: 'has space' } })).toContain('names.search');
    expect(await bad({ names: { search: 'x', describe: 'x' } })).toContain('the three names must differ');
    expect(await bad({ results: 30, maxResults: 20 })).toContain('results');
    expect(await bad({ limit: 3 })).toContain('limit');
  });

  it('lists its tools under the names given', async () => {
    const k = await kit({ names: { search: 'find', describe: 'explain', call: 'run' } });
    expect(names(await k.call('tools/list'))).toEqual(['find', 'explain', 'run']);
    expect(found(await k.callTool('find', { query: 'slack' }))).toEqual(['send_message']);
  });
});
