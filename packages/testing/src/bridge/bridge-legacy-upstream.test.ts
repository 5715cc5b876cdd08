import { createProxy, McpErrorCode, META, type Params, type Principal, type Proxy, type Reply, Seal } from '@mcproxy/core';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryUpstream } from '../memory.js';
import { modernClient, whenTrue, type ModernClient } from '../modern-memory.js';
import { createLegacyPushServer, type PushRecord } from './legacy-push-server.js';

let proxy: Proxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

const ALL = { elicitation: {}, sampling: {}, roots: {} };

async function setup(limits: Record<string, number> = {}): Promise<{ client: ModernClient; record: PushRecord }> {
  const record: PushRecord = { cancelled: [], refused: [], subscriptions: [] };
  proxy = createProxy({ upstreams: [memoryUpstream('old', () => createLegacyPushServer(record), 'shared')], limits });
  return { client: await modernClient(proxy), record };
}

const call = (client: ModernClient, name: string, extra: Params = {}, capabilities: Params = ALL) =>
  client.request('tools/call', { name, arguments: {}, ...extra }, capabilities).reply;
const textOf = (reply: Reply): string => ((reply.result?.content as Array<{ text: string }>) ?? [])[0]?.text ?? JSON.stringify(reply);
const requestsOf = (reply: Reply): Record<string, { method: string; params?: Params }> => reply.result?.inputRequests as never;
const accept = (content: Params) => ({ action: 'accept', content });

describe('a 2026-07-28 client on a 2025-era upstream', () => {
  it('answers server/discover from the upstream initialize', async () => {
    const { client } = await setup();
    const { result } = await client.ask('server/discover');
    expect(result?.supportedVersions).toEqual(['2026-07-28']);
    expect(result?.capabilities).toMatchObject({ tools: {}, logging: {}, resources: { subscribe: true } });
    expect(result?.instructions).toBe('a 2025-era server that pushes requests');
    expect((result?._meta as Params)[META.serverInfo]).toEqual({ name: 'legacy-push', version: '1.0.0' });
    expect(result).toMatchObject({ resultType: 'complete', ttlMs: 0, cacheScope: 'private' });
    const tools = await client.ask('tools/list');
    expect((tools.result?.tools as Params[]).map((t) => t.name)).toContain('ask_name');
  });

  it('parks a call that asks for input and resumes it with the retry', async () => {
    const { client } = await setup();
    const first = await call(client, 'ask_name');
    expect(first.result?.resultType).toBe('input_required');
    const [key, request] = Object.entries(requestsOf(first))[0]!;
    expect(request).toMatchObject({ method: 'elicitation/create', params: { message: 'What is your name?' } });
    expect(proxy!.parked.size).toBe(1);
    const done = await call(client, 'ask_name', { requestState: first.result?.requestState, inputResponses: { [key!]: accept({ name: 'Ada' }) } });
    expect(textOf(done)).toBe('Hello, Ada!');
    expect(done.result?.resultType).toBe('complete');
    expect(proxy!.parked.size).toBe(0);
  });

  it('makes pushes sent one after another successive rounds, each with a fresh state', async () => {
    const { client } = await setup();
    const r1 = await call(client, 'two_rounds');
    const k1 = Object.keys(requestsOf(r1))[0]!;
    const r2 = await call(client, 'two_rounds', { requestState: r1.result?.requestState, inputResponses: { [k1]: accept({ name: 'Ada' }) } });
    expect(r2.result?.resultType).toBe('input_required');
    expect(r2.result?.requestState).not.toBe(r1.result?.requestState);
    const k2 = Object.keys(requestsOf(r2))[0]!;
    expect(requestsOf(r2)[k2]?.params?.message).toBe('Colour?');
    const done = await call(client, 'two_rounds', { requestState: r2.result?.requestState, inputResponses: { [k2]: accept({ color: 'green' }) } });
    expect(textOf(done)).toBe('Ada likes green');
  });

  it('gathers pushes sent at once into one round', async () => {
    const { client } = await setup();
    const r1 = await call(client, 'all_at_once');
    const asked = requestsOf(r1);
    expect(
      Object.values(asked)
        .map((r) => r.method)
        .sort(),
    ).toEqual(['elicitation/create', 'roots/list', 'sampling/createMessage']);
    const answers: Params = {};
    for (const [key, r] of Object.entries(asked)) {
      if (r.method === 'elicitation/create') answers[key] = accept({ name: 'Ada' });
      if (r.method === 'sampling/createMessage') answers[key] = { role: 'assistant', content: { type: 'text', text: 'Hi' }, model: 'm' };
      if (r.method === 'roots/list') answers[key] = { roots: [{ uri: 'file:///a' }, { uri: 'file:///b' }] };
    }
    const done = await call(client, 'all_at_once', { requestState: r1.result?.requestState, inputResponses: answers });
    expect(textOf(done)).toBe('Hi Ada (2 root(s))');
  });

  it('refuses a push the request did not declare: the upstream hears an error, the client -32021 when the call then fails', async () => {
    const { client, record } = await setup();
    const tolerant = await call(client, 'tolerant', {}, { elicitation: {} });
    expect(textOf(tolerant)).toBe('went on without sampling');
    expect(record.refused[0]).toMatch(/did not declare the "sampling" capability/);
    const insists = await call(client, 'insists', {}, { elicitation: {} });
    // SDK 1.x turns the tool's exception into an isError result: the upstream failed for want of sampling.
    expect(insists.error?.code).toBe(McpErrorCode.MissingRequiredClientCapability);
    expect(insists.error?.data).toEqual({ requiredCapabilities: { sampling: {} } });
    // A prompt's failure is a JSON-RPC error: the client learns which capability it lacked.
    const prompt = await client.request('prompts/get', { name: 'needs_sampling' }, { elicitation: {} }).reply;
    expect(prompt.error?.code).toBe(McpErrorCode.MissingRequiredClientCapability);
    expect(prompt.error?.data).toEqual({ requiredCapabilities: { sampling: {} } });
  });

  it('passes log messages only to requests that asked for a level, at or above it', async () => {
    const { client } = await setup();
    const quiet = client.request('tools/call', { name: 'noisy', arguments: {} }, ALL);
    await quiet.reply;
    expect(client.notifications.filter((n) => n.method === 'notifications/message')).toHaveLength(0);
    const loud = client.request('tools/call', { name: 'noisy', arguments: {}, _meta: { [META.logLevel]: 'info' } }, ALL);
    await loud.reply;
    const levels = client.notifications.filter((n) => n.method === 'notifications/message').map((n) => n.params?.level);
    expect(levels).toEqual(['info', 'error']);
  });
});

describe('subscriptions', () => {
  it('turns a listen into one resources/subscribe per URI, passes updates tagged, and unsubscribes when the listen ends', async () => {
    const { client, record } = await setup();
    const listen = client.request('subscriptions/listen', { notifications: { resourceSubscriptions: ['test://watched'], toolsListChanged: true } }, ALL);
    await whenTrue(() => client.notifications.some((n) => n.method === 'notifications/resources/updated'));
    const updated = client.notifications.find((n) => n.method === 'notifications/resources/updated');
    expect(updated?.params).toMatchObject({ uri: 'test://watched', _meta: { [META.subscriptionId]: listen.id } });
    expect(record.subscriptions).toEqual(['subscribe test://watched']);
    // A second listener on the same URI does not subscribe again.
    const second = client.request('subscriptions/listen', { notifications: { resourceSubscriptions: ['test://watched'] } }, ALL);
    await whenTrue(() => client.notifications.filter((n) => n.method === 'notifications/subscriptions/acknowledged').length === 2);
    await client.cancel(listen.id);
    await client.cancel(second.id);
    await whenTrue(() => record.subscriptions!.length === 2);
    expect(record.subscriptions).toEqual(['subscribe test://watched', 'unsubscribe test://watched']);
  });
});

describe('bad retries', () => {
  it('refuses a tampered requestState with -32602; the call stays parked for a good retry', async () => {
    const { client } = await setup();
    const r1 = await call(client, 'ask_name');
    const state = String(r1.result?.requestState);
    const tampered = `${state.slice(0, 5)}${state[5] === 'A' ? 'B' : 'A'}${state.slice(6)}`;
    const bad = await call(client, 'ask_name', { requestState: tampered, inputResponses: {} });
    expect(bad.error?.code).toBe(-32602);
    expect(bad.error?.message).toMatch(/requestState/);
  });

  it('cancels the parked call upstream for a replayed state, inputResponses that are not an object, or a state of another request', async () => {
    for (const spoil of ['replay', 'mismatch', 'other'] as const) {
      const { client, record } = await setup();
      const r1 = await call(client, 'two_rounds');
      const k1 = Object.keys(requestsOf(r1))[0]!;
      let bad: Reply;
      if (spoil === 'replay') {
        await call(client, 'two_rounds', { requestState: r1.result?.requestState, inputResponses: { [k1]: accept({ name: 'Ada' }) } });
        bad = await call(client, 'two_rounds', { requestState: r1.result?.requestState, inputResponses: { [k1]: accept({ name: 'Eve' }) } });
      } else if (spoil === 'mismatch') {
        bad = await call(client, 'two_rounds', { requestState: r1.result?.requestState, inputResponses: ['not', 'an', 'object'] });
      } else {
        bad = await call(client, 'ask_name', { requestState: r1.result?.requestState, inputResponses: { [k1]: accept({ name: 'Ada' }) } });
      }
      expect(bad.error?.code, spoil).toBe(-32602);
      await whenTrue(() => record.cancelled.includes('two_rounds'));
      expect(record.cancelled, spoil).toContain('two_rounds');
      await whenTrue(() => proxy!.parked.size === 0);
      expect(proxy!.parked.size, spoil).toBe(0);
      await proxy!.close();
    }
  });

  it("refuses another principal's retry as it refuses a foreign state, without cancelling the call; its owner's retry works", async () => {
    const record: PushRecord = { cancelled: [], refused: [] };
    proxy = createProxy({ upstreams: [memoryUpstream('old', () => createLegacyPushServer(record), 'shared')] });
    const who = (kind: Principal['kind'], id: string): Principal => ({ id, kind, scopes: [], claims: {} });
    const alice = await modernClient(proxy, undefined, who('api-key', 'alice'));
    // Same id, another kind of proof: another principal.
    const aliceJwt = await modernClient(proxy, undefined, who('jwt', 'alice'));
    const bob = await modernClient(proxy, undefined, who('api-key', 'bob'));
    const nobody = await modernClient(proxy);
    const r1 = await call(alice, 'two_rounds');
    const k1 = Object.keys(requestsOf(r1))[0]!;
    const stolen = { requestState: r1.result?.requestState, inputResponses: { [k1]: accept({ name: 'Mallory' }) } };
    const foreignState = new Seal().seal({ v: 1, c: 'x', r: 1, u: 'old', m: 'tools/call', n: 'two_rounds', exp: Date.now() + 60_000 });
    const foreign = await call(bob, 'two_rounds', { requestState: foreignState, inputResponses: {} });
    expect(foreign.error?.code).toBe(-32602);
    for (const [thief, name] of [
      [bob, 'two_rounds'],
      [aliceJwt, 'two_rounds'],
      [nobody, 'two_rounds'],
      // Another request too: not the cancelling "belongs to another request", which would let a thief end the call.
      [bob, 'ask_name'],
    ] as const) {
      const refused = await call(thief, name, stolen);
      expect(refused).toEqual(foreign);
    }
    await new Promise((r) => setTimeout(r, 30));
    expect(record.cancelled).toEqual([]);
    expect(proxy.parked.size).toBe(1);
    const r2 = await call(alice, 'two_rounds', { requestState: r1.result?.requestState, inputResponses: { [k1]: accept({ name: 'Ada' }) } });
    const k2 = Object.keys(requestsOf(r2))[0]!;
    // A state issued to nobody is refused to a principal the same way.
    const r3 = await call(nobody, 'ask_name');
    const kn = Object.keys(requestsOf(r3))[0]!;
    expect(await call(alice, 'ask_name', { requestState: r3.result?.requestState, inputResponses: { [kn]: accept({ name: 'Eve' }) } })).toEqual(foreign);
    const done = await call(alice, 'two_rounds', { requestState: r2.result?.requestState, inputResponses: { [k2]: accept({ color: 'green' }) } });
    expect(textOf(done)).toBe('Ada likes green');
    expect(textOf(await call(nobody, 'ask_name', { requestState: r3.result?.requestState, inputResponses: { [kn]: accept({ name: 'Eve' }) } }))).toBe(
      'Hello, Eve!',
    );
  });

  it('cancels a parked call whose client never comes back, and refuses its late retry', async () => {
    const { client, record } = await setup({ parkedCallMs: 100 });
    const r1 = await call(client, 'ask_name');
    await whenTrue(() => record.cancelled.includes('ask_name'));
    expect(record.cancelled).toContain('ask_name');
    expect(proxy!.parked.size).toBe(0);
    const k = Object.keys(requestsOf(r1))[0]!;
    const late = await call(client, 'ask_name', { requestState: r1.result?.requestState, inputResponses: { [k]: accept({ name: 'Ada' }) } });
    expect(late.error?.code).toBe(-32602);
    expect(late.error?.message).toMatch(/expired|no longer waiting/);
  });

  it('cancels the call when the client goes away while it waits', async () => {
    const { client, record } = await setup();
    const r1 = await call(client, 'two_rounds');
    const k1 = Object.keys(requestsOf(r1))[0]!;
    // The retry answers round 1; while round 2 is being asked the client cancels.
    const retry = client.request(
      'tools/call',
      { name: 'two_rounds', arguments: {}, requestState: r1.result?.requestState, inputResponses: { [k1]: accept({ name: 'Ada' }) } },
      ALL,
    );
    await client.cancel(retry.id);
    await whenTrue(() => record.cancelled.includes('two_rounds'));
    expect(record.cancelled).toContain('two_rounds');
    await whenTrue(() => proxy!.parked.size === 0);
    expect(proxy!.parked.size).toBe(0);
  });

  it('asks again for answers a retry left out, and ignores answers nobody asked for', async () => {
    const { client } = await setup();
    const r1 = await call(client, 'all_at_once');
    const keys = Object.keys(requestsOf(r1));
    const elicit = keys.find((k) => requestsOf(r1)[k]?.method === 'elicitation/create')!;
    const r2 = await call(client, 'all_at_once', { requestState: r1.result?.requestState, inputResponses: { [elicit]: accept({ name: 'Ada' }), stray: {} } });
    expect(r2.result?.resultType).toBe('input_required');
    expect(Object.keys(requestsOf(r2)).sort()).toEqual(keys.filter((k) => k !== elicit).sort());
    const answers: Params = {};
    for (const [key, r] of Object.entries(requestsOf(r2))) {
      answers[key] = r.method === 'roots/list' ? { roots: [] } : { role: 'assistant', content: { type: 'text', text: 'Hi' }, model: 'm' };
    }
    const done = await call(client, 'all_at_once', { requestState: r2.result?.requestState, inputResponses: answers });
    expect(textOf(done)).toBe('Hi Ada (0 root(s))');
  });

  it('takes inputResponses without a requestState as a fresh call, and refuses pushes past limits.parkedCalls', async () => {
    const { client, record } = await setup({ parkedCalls: 1 });
    const first = await call(client, 'ask_name', { inputResponses: { x: {} } });
    expect(first.result?.resultType).toBe('input_required');
    // Over a shared stdio-like wire a second call can only be attributed by id: memory channels carry it.
    const second = await call(client, 'tolerant');
    expect(textOf(second)).toBe('went on without sampling');
    expect(record.refused.at(-1)).toMatch(/too many calls are waiting/);
  });
});
