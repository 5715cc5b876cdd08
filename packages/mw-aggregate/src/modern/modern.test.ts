import { afterEach, describe, expect, it } from 'vitest';
import { createProxy, LEGACY_VERSIONS, META, type Principal, silentLogger, type Params, type Proxy, type Reply } from '@mcproxy/core';
import { modernClient, modernUpstream, toolList as tools, whenTrue as until, type ScriptedUpstream } from '@mcproxy/testing';
import { aggregate, type AggregateOptions } from '../index.js';

let proxy: Proxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

async function serve(upstreams: ScriptedUpstream[], options: AggregateOptions = {}) {
  proxy = createProxy({ upstreams, middleware: [await aggregate(options, { log: silentLogger })] });
  return modernClient(proxy);
}

const text = (t: string) => ({ result: { content: [{ type: 'text', text: t }] } });

/** a and b both have `search`; a keeps its list public for a minute, b private for 5 s. */
const pair = (): [ScriptedUpstream, ScriptedUpstream] => [
  modernUpstream('a', { capabilities: { tools: { listChanged: true } }, instructions: 'use a', ttlMs: 60_000, cacheScope: 'public' }, (method, p) =>
    method === 'tools/list' ? tools(['search', 'x'], { ttlMs: 30_000, cacheScope: 'public' }) : text(`a:${String(p.name)}`),
  ),
  modernUpstream(
    'b',
    { capabilities: { tools: { listChanged: true }, prompts: {}, resources: { subscribe: true } }, instructions: 'use b', ttlMs: 5_000, cacheScope: 'private' },
    (method, p) => (method === 'tools/list' ? tools(['search'], { ttlMs: 10_000, cacheScope: 'public' }) : text(`b:${String(p.name)}`)),
  ),
];

describe('aggregate for 2026-07-28 clients: discover and lists', () => {
  it('answers server/discover for the proxy: both eras, union of capabilities, strictest hints, its serverInfo; a legacy-only upstream counts as bridged, without hints', async () => {
    const client = await serve([...pair(), modernUpstream('old', 'legacy')], { serverInfo: { name: 'team', version: '2.0.0' } });
    const { result } = await client.ask('server/discover');
    expect(result?.supportedVersions).toEqual(['2026-07-28', ...LEGACY_VERSIONS]);
    expect(result?.capabilities).toEqual({ tools: { listChanged: true }, prompts: {}, resources: { subscribe: true } });
    expect(result?.instructions).toBe('## a\nuse a\n\n## b\nuse b');
    // The bridge answers for the 2025-era upstream from its initialize, which gives no caching hints: stale and private.
    expect(result).toMatchObject({ resultType: 'complete', ttlMs: 0, cacheScope: 'private' });
    expect((result?._meta as Params)[META.serverInfo]).toEqual({ name: 'team', version: '2.0.0' });
  });

  it('is public only when every upstream says so, and answers the error when no upstream can be discovered', async () => {
    const pub = (name: string, ttlMs: number) => modernUpstream(name, { ttlMs, cacheScope: 'public' });
    let client = await serve([pub('a', 100), pub('b', 50)]);
    expect((await client.ask('server/discover')).result).toMatchObject({ ttlMs: 50, cacheScope: 'public' });
    client = await serve([pub('a', 100), modernUpstream('b', { ttlMs: 100 })]);
    expect((await client.ask('server/discover')).result).toMatchObject({ ttlMs: 100, cacheScope: 'private' });
    await proxy?.close();
    const broken = (): Reply => ({ error: { code: -32603, message: 'broken' } });
    client = await serve([modernUpstream('old', 'legacy', broken), modernUpstream('older', 'legacy', broken)]);
    expect((await client.ask('server/discover')).error).toMatchObject({
      code: -32603,
      message: expect.stringMatching(/no upstream answered server\/discover/),
    });
  });

  it('merges tools/list with the smallest ttl and the most private scope, and asks only upstreams that have tools', async () => {
    const [a, b] = pair();
    const none = modernUpstream('c', { capabilities: { prompts: {} } }, () => tools(['never']));
    const client = await serve([a, b, none]);
    const { result } = await client.ask('tools/list');
    expect((result?.tools as Params[]).map((t) => t.name)).toEqual(['a__search', 'x', 'b__search']);
    expect(result).toMatchObject({ ttlMs: 10_000, cacheScope: 'public', resultType: 'complete' });
    expect(none.sent('tools/list')).toHaveLength(0);
    expect(none.sent('server/discover').length).toBeGreaterThan(0);
  });

  it('counts a part without hints as stale and private', async () => {
    const bare = modernUpstream('bare', { capabilities: { tools: {} } }, () => tools(['y']));
    const client = await serve([pair()[0], bare]);
    expect((await client.ask('tools/list')).result).toMatchObject({ ttlMs: 0, cacheScope: 'private' });
  });

  it('keeps an upstream part for modern requests no longer than its own public ttl, and private parts not at all', async () => {
    const fast = modernUpstream('fast', { capabilities: { tools: {} }, ttlMs: 60_000, cacheScope: 'public' }, () =>
      tools(['f'], { ttlMs: 400, cacheScope: 'public' }),
    );
    const mine = modernUpstream('mine', { capabilities: { tools: {} }, ttlMs: 60_000, cacheScope: 'public' }, () =>
      tools(['m'], { ttlMs: 60_000, cacheScope: 'private' }),
    );
    const first = await serve([fast, mine]);
    // A second modern client shares the first one's state, as modern HTTP requests of one face do.
    const state = [...proxy!.sessions][0]!.state;
    const second = await modernClient(proxy!, state);
    expect((await first.ask('tools/list')).result).toMatchObject({ ttlMs: 400, cacheScope: 'private' });
    const discovered = fast.sent('server/discover').length;
    const again = (await second.ask('tools/list')).result;
    expect(again?.ttlMs).toBeLessThanOrEqual(400);
    expect(fast.sent('tools/list')).toHaveLength(1);
    expect(mine.sent('tools/list')).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 420));
    await second.ask('tools/list');
    expect(fast.sent('tools/list')).toHaveLength(2);
    // What discovery said was kept by its ttl too: not asked again.
    expect(fast.sent('server/discover')).toHaveLength(discovered);
  });
});

describe('aggregate for 2026-07-28 clients: calls and input_required', () => {
  it('routes a call by its prefixed name, with the client envelope on the way out', async () => {
    const [a, b] = pair();
    const client = await serve([a, b]);
    expect((await client.ask('tools/call', { name: 'b__search', arguments: {} })).result).toMatchObject({ content: [{ text: 'b:search' }] });
    expect((await client.ask('tools/call', { name: 'x' })).result).toMatchObject({ content: [{ text: 'a:x' }] });
    const call = b.sent('tools/call')[0]!;
    expect(call.name).toBe('search');
    expect((call._meta as Params)[META.clientInfo]).toEqual({ name: 'modern-test', version: '1.0.0' });
    expect((await client.ask('tools/call', { name: 'search' })).error).toBeDefined();
  });

  /** b asks for input once (with or without its own state), then answers with what it got back. */
  const asking = (state: string | undefined) =>
    modernUpstream('b', { capabilities: { tools: {}, prompts: {} } }, (method, p) => {
      if (method === 'tools/list') return tools(['book']);
      if (method === 'prompts/list') return { result: { prompts: [{ name: 'book' }] } };
      if (p.inputResponses === undefined) {
        return {
          result: {
            resultType: 'input_required',
            inputRequests: { when: { method: 'elicitation/create', params: { message: 'When?' } } },
            ...(state === undefined ? {} : { requestState: state }),
          },
        };
      }
      return text(`booked ${JSON.stringify(p.inputResponses)} with ${String(p.requestState)}`);
    });

  it("seals b's requestState, and sends the retry back to b with b's own state and the responses untouched", async () => {
    const a = pair()[0];
    const b = asking('b-state-1');
    const client = await serve([a, b]);
    const first = (await client.ask('tools/call', { name: 'book' })).result!;
    expect(first.resultType).toBe('input_required');
    expect(first.inputRequests).toEqual({ when: { method: 'elicitation/create', params: { message: 'When?' } } });
    expect(first.requestState).toEqual(expect.any(String));
    expect(first.requestState).not.toContain('b-state-1');
    const inputResponses = { when: { action: 'accept', content: { day: 'monday' } } };
    const done = (await client.ask('tools/call', { name: 'book', inputResponses, requestState: first.requestState })).result;
    expect(done).toMatchObject({
      resultType: 'complete',
      content: [{ text: 'booked {"when":{"action":"accept","content":{"day":"monday"}}} with b-state-1' }],
    });
    expect(b.sent('tools/call')[1]).toMatchObject({ name: 'book', requestState: 'b-state-1', inputResponses });
    expect(a.sent('tools/call')).toHaveLength(0);
  });

  it('issues a sealed state when b gave none, and takes it off again on the retry', async () => {
    const b = asking(undefined);
    const client = await serve([pair()[0], b]);
    const first = (await client.ask('tools/call', { name: 'book' })).result!;
    expect(first.requestState).toEqual(expect.any(String));
    await client.ask('tools/call', { name: 'book', inputResponses: { when: {} }, requestState: first.requestState });
    expect(b.sent('tools/call')[1]).not.toHaveProperty('requestState');
  });

  it('refuses a tampered, expired, cross-method or cross-name state with -32602, as the conformance suite expects', async () => {
    const b = asking('s');
    const client = await serve([pair()[0], b], { stateTtlMs: 400, stateKey: 'k'.repeat(32) });
    const state = (await client.ask('tools/call', { name: 'book' })).result!.requestState as string;
    const retry = (params: Params, method = 'tools/call') => client.ask(method, { inputResponses: { when: {} }, ...params });
    const refused = { code: -32602, message: expect.stringMatching(/^Invalid params: requestState /) };
    expect((await retry({ name: 'book', requestState: `${state}-TAMPERED` })).error).toMatchObject(refused);
    const [body, mac] = state.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), u: 'a' })).toString('base64url');
    expect((await retry({ name: 'book', requestState: `${forged}.${mac}` })).error).toMatchObject(refused);
    expect((await retry({ name: 'book', requestState: state }, 'prompts/get')).error).toMatchObject(refused);
    expect((await retry({ name: 'x', requestState: state })).error).toMatchObject(refused);
    expect((await retry({ name: 'book', requestState: 42 })).error).toMatchObject(refused);
    await new Promise((r) => setTimeout(r, 420));
    expect((await retry({ name: 'book', requestState: state })).error).toMatchObject({ code: -32602, message: expect.stringMatching(/expired/) });
    // None of them reached b.
    expect(b.sent('tools/call')).toHaveLength(1);
  });

  it("refuses a requestState or a task id of another principal as it refuses a foreign one; the owner's work", async () => {
    const who = (id: string): Principal => ({ id, kind: 'api-key', scopes: [], claims: {} });
    const b = asking('s');
    const tasks = modernUpstream('t', { capabilities: { tools: {} } }, (method, p) => {
      if (method === 'tools/list') return tools(['slow']);
      if (method === 'tools/call') return { result: { resultType: 'task', taskId: 'task-1', status: 'working' } };
      return { result: { resultType: 'complete', taskId: String(p.taskId), status: 'completed' } };
    });
    proxy = createProxy({ upstreams: [b, tasks], middleware: [await aggregate({}, { log: silentLogger })] });
    const [alice, bob, nobody] = [
      await modernClient(proxy, undefined, who('alice')),
      await modernClient(proxy, undefined, who('bob')),
      await modernClient(proxy),
    ];
    const state = (await alice.ask('tools/call', { name: 'book' })).result!.requestState as string;
    const retry = (c: typeof alice, requestState: string) => c.ask('tools/call', { name: 'book', inputResponses: { when: {} }, requestState });
    const [body] = state.split('.');
    const foreign = (await retry(alice, `${body}.${'A'.repeat(43)}`)).error;
    expect(foreign).toMatchObject({ code: -32602 });
    expect((await retry(bob, state)).error).toEqual(foreign);
    expect((await retry(nobody, state)).error).toEqual(foreign);
    expect(b.sent('tools/call')).toHaveLength(1);
    expect((await retry(alice, state)).result).toMatchObject({ content: [{ text: 'booked {"when":{}} with s' }] });

    const created = (await alice.ask('tools/call', { name: 'slow' })).result!;
    const taskId = created.taskId as string;
    expect(taskId).toMatch(/^mcpx1\./);
    const unknown = { code: -32602, message: 'Invalid params: unknown taskId' };
    expect((await bob.ask('tasks/get', { taskId })).error).toEqual(unknown);
    expect((await nobody.ask('tasks/get', { taskId })).error).toEqual(unknown);
    expect(tasks.sent('tasks/get')).toHaveLength(0);
    expect((await alice.ask('tasks/get', { taskId })).result).toMatchObject({ taskId, status: 'completed' });
    expect(tasks.sent('tasks/get')[0]).toMatchObject({ taskId: 'task-1' });
    // Unauthenticated, a 2026-07-28 task id stays a durable handle anyone unauthenticated may use.
    const open = (await nobody.ask('tools/call', { name: 'slow' })).result!.taskId as string;
    expect((await (await modernClient(proxy)).ask('tasks/get', { taskId: open })).result).toMatchObject({ status: 'completed' });
    expect((await alice.ask('tasks/get', { taskId: open })).error).toEqual(unknown);
  });

  it('refuses a stateKey shorter than 32 characters', async () => {
    expect(() => aggregate({ stateKey: 'short' }, { log: silentLogger })).toThrow(/stateKey: a stateKey needs at least 32 characters/);
  });
});

describe('aggregate for 2026-07-28 clients: subscriptions/listen', () => {
  it('fans a listen out to the upstreams that can answer it, with their own URIs, and tags what comes back for the client', async () => {
    const [a, b] = pair();
    const quiet = modernUpstream('c', { capabilities: { tools: {} } }, () => tools(['z']));
    const client = await serve([a, b, quiet]);
    const alias = `mcproxy://b/${encodeURIComponent('file:///notes.md')}`;
    const listen = client.request('subscriptions/listen', { notifications: { toolsListChanged: true, resourceSubscriptions: [alias] } });
    await until(() => a.sent('subscriptions/listen').length > 0 && b.sent('subscriptions/listen').length > 0);
    expect(a.sent('subscriptions/listen')[0]!.notifications).toEqual({ toolsListChanged: true });
    expect(b.sent('subscriptions/listen')[0]!.notifications).toEqual({ toolsListChanged: true, resourceSubscriptions: ['file:///notes.md'] });
    expect(quiet.sent('subscriptions/listen')).toHaveLength(0);

    expect((await client.ask('tools/list')).result?.tools).toHaveLength(4);
    await b.announce('notifications/tools/list_changed');
    await b.announce('notifications/resources/updated', { uri: 'file:///notes.md' });
    await until(() => client.notifications.length >= 3);
    const heard = client.notifications.map((n) => [n.method, (n.params?._meta as Params)[META.subscriptionId], n.params?.uri]);
    expect(heard).toEqual([
      ['notifications/subscriptions/acknowledged', listen.id, undefined],
      ['notifications/tools/list_changed', listen.id, undefined],
      ['notifications/resources/updated', listen.id, alias],
    ]);
    // b's kept part was dropped by its list_changed; a's was not.
    await client.ask('tools/list');
    expect(b.sent('tools/list')).toHaveLength(2);
    expect(a.sent('tools/list')).toHaveLength(1);

    await client.cancel(listen.id);
    await until(() => a.cancelled.length > 0 && b.cancelled.length > 0);
    expect(a.cancelled).toHaveLength(1);
    expect(b.cancelled).toHaveLength(1);
  });

  it('answers a listen no upstream can serve at once', async () => {
    const client = await serve([modernUpstream('c', { capabilities: { tools: {} } })]);
    expect((await client.ask('subscriptions/listen', { notifications: { promptsListChanged: true } })).result).toMatchObject({ resultType: 'complete' });
  });
});
