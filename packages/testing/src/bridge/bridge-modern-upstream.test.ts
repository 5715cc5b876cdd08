import { createProxy, META, type Params, type Proxy, type Reply } from '@mcproxy/core';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryClient } from '../memory.js';
import { modernUpstream, whenTrue } from '../modern-memory.js';

let proxy: Proxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

const DISCOVER = {
  capabilities: { tools: { listChanged: true }, resources: { subscribe: true }, logging: {} },
  instructions: 'modern only',
  _meta: { [META.serverInfo]: { name: 'new-server', version: '2.0.0' } },
};

/** A 2026-07-28 server that refuses initialize, asks for a name, then (a second round) for a sample, then answers. */
function modernOnly(protocol?: string) {
  const up = modernUpstream('new', DISCOVER, (method, params): Reply => {
    if (method === 'initialize') return { error: { code: -32022, message: 'Unsupported protocol version', data: { supported: ['2026-07-28'] } } };
    if (method !== 'tools/call') return { result: { tools: [{ name: 'greet', inputSchema: { type: 'object' } }] } };
    const responses = (params.inputResponses ?? {}) as Params;
    if (params.name === 'greet') {
      if (params.requestState === undefined) {
        return {
          result: {
            resultType: 'input_required',
            inputRequests: {
              who: {
                method: 'elicitation/create',
                params: { message: 'Name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } },
              },
            },
            requestState: 'round-1',
          },
        };
      }
      if (params.requestState === 'round-1') {
        return {
          result: {
            resultType: 'input_required',
            inputRequests: {
              line: { method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 5 } },
            },
            requestState: `round-2:${String(((responses.who as Params).content as Params).name)}`,
          },
        };
      }
      const line = ((responses.line as Params).content as Params).text;
      return { result: { resultType: 'complete', content: [{ type: 'text', text: `${String(line)}, ${String(params.requestState).slice(8)}` }] } };
    }
    return { result: { resultType: 'complete', content: [{ type: 'text', text: 'plain' }] } };
  });
  if (protocol !== undefined) (up as { protocol?: string }).protocol = protocol;
  return up;
}

async function legacyClient(up: ReturnType<typeof modernOnly>) {
  proxy = createProxy({ upstreams: [up] });
  const client = await memoryClient(proxy, { elicitation: {}, sampling: {} });
  client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name: 'Ada' } }));
  client.setRequestHandler(CreateMessageRequestSchema, async () => ({ role: 'assistant', content: { type: 'text', text: 'Hello' }, model: 'm' }));
  return client;
}

describe('a 2025-era client on a 2026-07-28 upstream', () => {
  for (const protocol of [undefined, '2026-07-28']) {
    it(`is initialized from server/discover (${protocol ?? 'found by probing'})`, async () => {
      const up = modernOnly(protocol);
      const client = await legacyClient(up);
      expect(client.getServerVersion()).toEqual({ name: 'new-server', version: '2.0.0' });
      expect(client.getServerCapabilities()).toMatchObject({ tools: { listChanged: true }, logging: {} });
      expect(client.getInstructions()).toBe('modern only');
      expect(up.sent('initialize')).toHaveLength(protocol === undefined ? 1 : 0);
      await client.ping();
      expect(up.sent('ping')).toHaveLength(0);
    });
  }

  it('stamps each request with the envelope of its initialize and turns input_required rounds into pushed requests', async () => {
    const up = modernOnly('2026-07-28');
    const client = await legacyClient(up);
    const result = await client.callTool({ name: 'greet', arguments: {} });
    expect(result.content).toEqual([{ type: 'text', text: 'Hello, Ada' }]);
    expect(result.resultType).toBeUndefined();
    const calls = up.sent('tools/call');
    expect(calls).toHaveLength(3);
    expect((calls[0]!._meta as Params)[META.clientCapabilities]).toEqual({ elicitation: {}, sampling: {} });
    expect((calls[0]!._meta as Params)[META.clientInfo]).toMatchObject({ name: 'memory-client' });
    expect(calls[1]).toMatchObject({ requestState: 'round-1', inputResponses: { who: { action: 'accept', content: { name: 'Ada' } } } });
    expect(calls[2]).toMatchObject({ requestState: 'round-2:Ada', inputResponses: { line: { content: { text: 'Hello' } } } });
    expect(calls[2]!.inputResponses).not.toHaveProperty('who');
  });

  it('keeps logging/setLevel and sends it as the per-request log level; subscribe becomes a listen filter', async () => {
    const up = modernOnly('2026-07-28');
    const client = await legacyClient(up);
    await client.setLoggingLevel('warning');
    await client.callTool({ name: 'plain', arguments: {} });
    expect((up.sent('tools/call').at(-1)!._meta as Params)[META.logLevel]).toBe('warning');
    expect(up.sent('logging/setLevel')).toHaveLength(0);
    const updates: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updates.push(n.params.uri));
    client.setNotificationHandler(LoggingMessageNotificationSchema, () => undefined);
    await client.subscribeResource({ uri: 'test://a' });
    await whenTrue(() => up.sent('subscriptions/listen').some((p) => JSON.stringify(p).includes('test://a')));
    const listen = up.sent('subscriptions/listen').at(-1)!;
    expect(listen.notifications).toEqual({ toolsListChanged: true, resourceSubscriptions: ['test://a'] });
    await up.announce('notifications/resources/updated', { uri: 'test://a' });
    await whenTrue(() => updates.length > 0);
    expect(updates).toEqual(['test://a']);
  });

  it('keeps concurrent sessions apart: each of eight answers its own pushed requests, and each gets its own result', async () => {
    const up = modernOnly('2026-07-28');
    proxy = createProxy({ upstreams: [up] });
    const open = proxy;
    const names = ['Ada', 'Bo', 'Cy', 'Di', 'Ed', 'Fa', 'Gu', 'Hy'];
    const clients = await Promise.all(
      names.map(async (name) => {
        const client = await memoryClient(open, { elicitation: {}, sampling: {} });
        client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name } }));
        client.setRequestHandler(CreateMessageRequestSchema, async () => ({ role: 'assistant', content: { type: 'text', text: `Hi ${name}` }, model: 'm' }));
        return client;
      }),
    );
    const results = await Promise.all(clients.map((client) => client.callTool({ name: 'greet', arguments: {} })));
    expect(results.map((r) => r.content)).toEqual(names.map((name) => [{ type: 'text', text: `Hi ${name}, ${name}` }]));
    expect(up.sent('tools/call')).toHaveLength(names.length * 3);
  });
});
