import { createChannelPair, createProxy, type Params, type Proxy, type Reply, type UpstreamSpec } from '@mcproxy/core';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryClient, memoryUpstream } from '../memory.js';
import { modernClient, modernUpstream } from '../modern-memory.js';
import { createLegacyPushServer } from './legacy-push-server.js';

const proxies: Proxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

/** `inner` as an upstream of another proxy, over an in-memory pipe. */
const through = (inner: Proxy, protocol?: string): UpstreamSpec => ({
  name: 'inner',
  mode: 'shared',
  ...(protocol === undefined ? {} : { protocol }),
  async connect() {
    const [ours, theirs] = createChannelPair();
    await inner.accept(theirs);
    return ours;
  },
});

const keyOf = (reply: Reply): string => Object.keys(reply.result?.inputRequests as Params)[0]!;

describe('the bridge in a chain of proxies', () => {
  it('a modern client, through a proxy that passes 2026-07-28 on, to one that bridges a 2025-era server', async () => {
    const inner = createProxy({ upstreams: [memoryUpstream('old', () => createLegacyPushServer(), 'shared')], id: 'inner' });
    const outer = createProxy({ upstreams: [through(inner)], id: 'outer' });
    proxies.push(outer, inner);
    const client = await modernClient(outer);
    const caps = { elicitation: {} };
    const call = (extra: Params = {}) => client.request('tools/call', { name: 'two_rounds', arguments: {}, ...extra }, caps).reply;
    const r1 = await call();
    expect(r1.result?.resultType).toBe('input_required');
    const r2 = await call({ requestState: r1.result?.requestState, inputResponses: { [keyOf(r1)]: { action: 'accept', content: { name: 'Ada' } } } });
    const done = await call({ requestState: r2.result?.requestState, inputResponses: { [keyOf(r2)]: { action: 'accept', content: { color: 'red' } } } });
    expect((done.result?.content as Params[])[0]).toEqual({ type: 'text', text: 'Ada likes red' });
    expect(inner.parked.size).toBe(0);
  });

  it('a 2025-era client, through a proxy that bridges it, to one that passes 2026-07-28 on to a modern-only server', async () => {
    const server = modernUpstream('new', { capabilities: { tools: {} } }, (method, params): Reply => {
      if (method === 'initialize') return { error: { code: -32022, message: 'Unsupported protocol version', data: { supported: ['2026-07-28'] } } };
      const answer = (params.inputResponses as Params | undefined)?.who as Params | undefined;
      if (answer === undefined) {
        return {
          result: {
            resultType: 'input_required',
            inputRequests: {
              who: { method: 'elicitation/create', params: { message: 'Who?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } } },
            },
          },
        };
      }
      return { result: { content: [{ type: 'text', text: `hi ${String((answer.content as Params).name)}` }] } };
    });
    const inner = createProxy({ upstreams: [Object.assign(server, { protocol: '2026-07-28' })], id: 'inner' });
    const outer = createProxy({ upstreams: [through(inner, '2026-07-28')], id: 'outer' });
    proxies.push(outer, inner);
    const client = await memoryClient(outer, { elicitation: {} });
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name: 'Bo' } }));
    expect((await client.callTool({ name: 'greet', arguments: {} })).content).toEqual([{ type: 'text', text: 'hi Bo' }]);
  });
});
