import { afterEach, describe, expect, it } from 'vitest';
import { harness, idOf, isMethod, waitFor, type Harness } from '../../../test/harness.js';
import type { Wire } from '../../../test/wire.js';
import { McpErrorCode, META, type Message } from '../../index.js';

const V = '2026-07-28';
const envelope = (extra: Record<string, unknown> = {}) => ({
  [META.protocolVersion]: V,
  [META.clientCapabilities]: { elicitation: {} },
  [META.clientInfo]: { name: 'modern-client', version: '2.0' },
  ...extra,
});
const modern = (id: string | number, method: string, params: Record<string, unknown> = {}, meta: Record<string, unknown> = {}) => ({
  jsonrpc: '2.0',
  id,
  method,
  params: { ...params, _meta: envelope(meta) },
});
type Any = Record<string, any>;
const body = (m: Message): Any => m as unknown as Any;

let h: Harness;
afterEach(async () => {
  await h?.proxy.close();
});

/** Answers the proxy's server/discover probe on a link the way a modern server would. */
async function answerProbe(up: Wire, capabilities: Any = { tools: { listChanged: true } }): Promise<Any> {
  const probe = await up.method('server/discover');
  await up.send({
    jsonrpc: '2.0',
    id: idOf(probe.message),
    result: { resultType: 'complete', supportedVersions: [V], capabilities, ttlMs: 1000, cacheScope: 'public' },
  });
  return body(probe.message);
}

async function modernClient(): Promise<Wire> {
  return h.client();
}

describe('2026-07-28 requests', () => {
  it("probes a modern upstream once with server/discover, then sends each request with its own client's envelope", async () => {
    h = await harness();
    const c = await modernClient();
    await c.send(modern(1, 'tools/call', { name: 'echo', arguments: { x: 1 } }));
    await waitFor(() => h.upstreams[0]);
    const probe = await answerProbe(h.upstreams[0]!);
    expect(probe.params._meta[META.protocolVersion]).toBe(V);
    expect(probe.params._meta[META.clientInfo].name).toBe('mcproxy');
    const call = body((await h.upstreams[0]!.method('tools/call')).message);
    expect(call.params._meta[META.clientInfo]).toEqual({ name: 'modern-client', version: '2.0' });
    expect(call.params._meta[META.clientCapabilities]).toEqual({ elicitation: {} });
    expect(call.params.arguments).toEqual({ x: 1 });
    await h.upstreams[0]!.send({ jsonrpc: '2.0', id: call.id, result: { content: [] } });
    const back = body((await c.response(1)).message);
    expect(back.result.resultType).toBe('complete');
    expect(back.result._meta[META.serverInfo]).toMatchObject({ name: 'mcproxy' });
    // A second request: no second probe, no second link.
    await c.send(modern(2, 'tools/list'));
    const list = body((await h.upstreams[0]!.method('tools/list')).message);
    await h.upstreams[0]!.send({ jsonrpc: '2.0', id: list.id, result: { resultType: 'complete', tools: [], ttlMs: 5000, cacheScope: 'public' } });
    const listed = body((await c.response(2)).message);
    expect(listed.result).toMatchObject({ ttlMs: 5000, cacheScope: 'public' });
    expect(h.connects).toBe(1);
    expect(h.upstreams[0]!.received.filter((r) => isMethod(r.message, 'server/discover'))).toHaveLength(1);
  });

  it('adds caching hints to a cacheable result that has none, and no initialize ever reaches the upstream', async () => {
    h = await harness({ mode: 'per-session' });
    const c = await modernClient();
    await c.send(modern('l', 'prompts/list'));
    await waitFor(() => h.upstreams[0]);
    await answerProbe(h.upstreams[0]!);
    const list = body((await h.upstreams[0]!.method('prompts/list')).message);
    await h.upstreams[0]!.send({ jsonrpc: '2.0', id: list.id, result: { prompts: [] } });
    const back = body((await c.response('l')).message);
    expect(back.result).toMatchObject({ resultType: 'complete', ttlMs: 0, cacheScope: 'private' });
    expect(h.upstreams[0]!.received.some((r) => isMethod(r.message, 'initialize'))).toBe(false);
  });

  it('answers a bad envelope, an unknown version and a removed method as the spec says, without reaching the upstream', async () => {
    h = await harness();
    const c = await modernClient();
    await c.send(modern(1, 'tools/list'));
    await waitFor(() => h.upstreams[0]);
    await answerProbe(h.upstreams[0]!);
    const first = body((await h.upstreams[0]!.method('tools/list')).message);
    await h.upstreams[0]!.send({ jsonrpc: '2.0', id: first.id, result: { tools: [] } });
    await c.response(1);

    await c.send({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: { _meta: { [META.protocolVersion]: V } } });
    expect(body((await c.response(2)).message).error.code).toBe(-32602);
    await c.send({ jsonrpc: '2.0', id: 3, method: 'tools/list', params: { _meta: { ...envelope(), [META.protocolVersion]: '2099-01-01' } } });
    const unknown = body((await c.response(3)).message).error;
    expect(unknown.code).toBe(McpErrorCode.UnsupportedProtocolVersion);
    expect(unknown.data.supported).toContain(V);
    await c.send({ jsonrpc: '2.0', id: 4, method: 'tools/list' });
    expect(body((await c.response(4)).message).error.code).toBe(-32602);
    await c.send(modern(5, 'ping'));
    expect(body((await c.response(5)).message).error.code).toBe(-32601);
    await c.send(modern(6, 'logging/setLevel', { level: 'debug' }));
    expect(body((await c.response(6)).message).error.code).toBe(-32601);
    await c.send(modern(7, 'tools/list', {}, { [META.logLevel]: 'loud' }));
    expect(body((await c.response(7)).message).error.code).toBe(-32602);
    expect(h.upstreams[0]!.received.filter((r) => isMethod(r.message, 'tools/list'))).toHaveLength(1);
  });

  it("bridges a modern client to an upstream that does not speak 2026-07-28: on a link of its own, initialized by the proxy with the request's capabilities, and no envelope", async () => {
    h = await harness();
    const c = await modernClient();
    await c.send(modern(1, 'tools/list'));
    await waitFor(() => h.upstreams[0]);
    const probe = await h.upstreams[0]!.method('server/discover');
    await h.upstreams[0]!.send({ jsonrpc: '2.0', id: idOf(probe.message), error: { code: -32601, message: 'Method not found' } });
    await waitFor(() => h.upstreams[1]);
    const up = h.upstreams[1]!;
    const init = body((await up.method('initialize')).message);
    expect(init.params.protocolVersion).toBe('2025-11-25');
    // The client declared `elicitation: {}` (form, in both eras) and nothing else: so does the proxy.
    expect(init.params.capabilities).toEqual({ elicitation: { form: {} } });
    expect(init.params.clientInfo.name).toBe('mcproxy');
    await up.send({
      jsonrpc: '2.0',
      id: init.id,
      result: { protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'old', version: '1' } },
    });
    await up.method('notifications/initialized');
    const list = body((await up.method('tools/list')).message);
    expect(list.params?._meta?.[META.protocolVersion]).toBeUndefined();
    await up.send({ jsonrpc: '2.0', id: list.id, result: { tools: [] } });
    const back = body((await c.response(1)).message);
    expect(back.result).toMatchObject({ tools: [], resultType: 'complete' });
  });

  it('asks once more when the probe is refused with -32022 that lists a version the proxy speaks', async () => {
    h = await harness();
    const c = await modernClient();
    await c.send(modern(1, 'tools/list'));
    await waitFor(() => h.upstreams[0]);
    const up = h.upstreams[0]!;
    const first = await up.method('server/discover');
    await up.send({
      jsonrpc: '2.0',
      id: idOf(first.message),
      error: { code: McpErrorCode.UnsupportedProtocolVersion, message: 'try again', data: { supported: [V] } },
    });
    await answerProbe(up);
    const list = body((await up.method('tools/list')).message);
    await up.send({ jsonrpc: '2.0', id: list.id, result: { tools: [] } });
    expect(body((await c.response(1)).message).result.tools).toEqual([]);
  });

  it('passes log messages only to a request that asked for a level, and only at or above it', async () => {
    h = await harness();
    const c = await modernClient();
    await c.send(modern(1, 'tools/call', { name: 'noisy' }, { [META.logLevel]: 'warning' }));
    await waitFor(() => h.upstreams[0]);
    await answerProbe(h.upstreams[0]!);
    const up = h.upstreams[0]!;
    const call = body((await up.method('tools/call')).message);
    expect(call.params._meta[META.logLevel]).toBe('warning');
    const log = (level: string) =>
      up.channel.send({ jsonrpc: '2.0', method: 'notifications/message', params: { level, data: level } } as Message, { relatedRequestId: call.id });
    await log('info');
    await log('error');
    await up.send({ jsonrpc: '2.0', id: call.id, result: { content: [] } });
    await c.response(1);
    const logs = c.received.filter((r) => isMethod(r.message, 'notifications/message')).map((r) => body(r.message).params.level);
    expect(logs).toEqual(['error']);

    await c.send(modern(2, 'tools/call', { name: 'noisy' }));
    const quiet = body((await up.method('tools/call')).message);
    await up.channel.send({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'emergency', data: 'x' } } as Message, {
      relatedRequestId: quiet.id,
    });
    await up.send({ jsonrpc: '2.0', id: quiet.id, result: { content: [] } });
    await c.response(2);
    expect(c.received.filter((r) => isMethod(r.message, 'notifications/message'))).toHaveLength(1);
  });

  it("acknowledges subscriptions/listen first and re-tags what the upstream sends on it with the client's id", async () => {
    h = await harness();
    const c = await modernClient();
    await c.send(modern('sub-1', 'subscriptions/listen', { notifications: { toolsListChanged: true, promptsListChanged: 'yes' } }));
    const ack = body((await c.method('notifications/subscriptions/acknowledged')).message);
    expect(ack.params._meta[META.subscriptionId]).toBe('sub-1');
    expect(ack.params.notifications).toEqual({ toolsListChanged: true });
    await waitFor(() => h.upstreams[0]);
    await answerProbe(h.upstreams[0]!);
    const up = h.upstreams[0]!;
    const listen = body((await up.method('subscriptions/listen')).message);
    const tag = { _meta: { [META.subscriptionId]: listen.id } };
    // Their ack is theirs; what they promised is passed on, what the client did not ask for is not.
    await up.send({ jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { ...tag, notifications: { toolsListChanged: true } } });
    await up.send({ jsonrpc: '2.0', method: 'notifications/prompts/list_changed', params: tag });
    await up.send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: tag });
    const changed = body((await c.method('notifications/tools/list_changed')).message);
    expect(changed.params._meta[META.subscriptionId]).toBe('sub-1');
    expect(c.received.filter((r) => isMethod(r.message, 'notifications/subscriptions/acknowledged'))).toHaveLength(1);
    expect(c.received.some((r) => isMethod(r.message, 'notifications/prompts/list_changed'))).toBe(false);
    // The upstream ends it gracefully: the client gets the end with its own subscription id.
    await up.send({ jsonrpc: '2.0', id: listen.id, result: { resultType: 'complete', _meta: { [META.subscriptionId]: listen.id } } });
    const end = body((await c.response('sub-1')).message);
    expect(end.result._meta[META.subscriptionId]).toBe('sub-1');
  });

  it('keeps a listen open past every request deadline, while other requests still time out', async () => {
    h = await harness({ timeouts: { requestMs: 40, maxMs: 80 } });
    const c = await modernClient();
    await c.send(modern('l', 'subscriptions/listen', { notifications: { toolsListChanged: true } }));
    await waitFor(() => h.upstreams[0]);
    await answerProbe(h.upstreams[0]!);
    const up = h.upstreams[0]!;
    const listen = body((await up.method('subscriptions/listen')).message);
    await c.send(modern('slow', 'tools/list'));
    expect(body((await c.response('slow')).message).error.code).toBe(-32001);
    await new Promise((r) => setTimeout(r, 150));
    expect(c.received.some((r) => !('method' in r.message) && r.message.id === 'l')).toBe(false);
    await up.send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: { _meta: { [META.subscriptionId]: listen.id } } });
    expect(body((await c.method('notifications/tools/list_changed')).message).params._meta[META.subscriptionId]).toBe('l');
  });

  it('answers a request a modern upstream sends (which the revision forbids) with -32601, and the client hears nothing of it', async () => {
    h = await harness();
    const c = await modernClient();
    await c.send(modern(1, 'tools/call', { name: 'asks' }));
    await waitFor(() => h.upstreams[0]);
    await answerProbe(h.upstreams[0]!);
    const up = h.upstreams[0]!;
    const call = body((await up.method('tools/call')).message);
    await up.channel.send({ jsonrpc: '2.0', id: 'push', method: 'elicitation/create', params: { message: 'name?' } } as Message, { relatedRequestId: call.id });
    const refused = body((await up.response('push')).message);
    expect(refused.error.code).toBe(-32601);
    expect(refused.error.message).toMatch(/input_required/);
    await up.send({ jsonrpc: '2.0', id: call.id, result: { content: [] } });
    await c.response(1);
    expect(c.received.some((r) => isMethod(r.message, 'elicitation/create'))).toBe(false);
  });

  it('keeps a legacy session and a modern client apart on one proxy', async () => {
    h = await harness({ mode: 'per-session' });
    const legacy = await h.ready();
    const c = await modernClient();
    await c.send(modern(1, 'tools/list'));
    await waitFor(() => h.upstreams[1]);
    await answerProbe(h.upstreams[1]!);
    const list = body((await h.upstreams[1]!.method('tools/list')).message);
    await h.upstreams[1]!.send({ jsonrpc: '2.0', id: list.id, result: { tools: [{ name: 'm' }] } });
    expect(body((await c.response(1)).message).result.tools).toEqual([{ name: 'm' }]);
    // The legacy session's link got no envelope, and its result no resultType.
    await legacy.send({ jsonrpc: '2.0', id: 9, method: 'tools/list' });
    const old = body((await h.upstreams[0]!.method('tools/list')).message);
    expect(old.params?._meta?.[META.protocolVersion]).toBeUndefined();
    await h.upstreams[0]!.send({ jsonrpc: '2.0', id: old.id, result: { tools: [] } });
    expect(body((await legacy.response(9)).message).result.resultType).toBeUndefined();
  });
});
