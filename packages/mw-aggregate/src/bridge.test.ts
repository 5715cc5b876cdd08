import { createProxy, silentLogger, type Params, type Proxy, type Reply } from '@mcproxy/core';
import { createLegacyPushServer, memoryClient, memoryUpstream, modernClient, modernUpstream } from '@mcproxy/testing';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { aggregate } from './index.js';

let proxy: Proxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

/** A 2026-07-28-only upstream with one tool that asks for a name in a round. */
const modernOnly = () => {
  const up = modernUpstream('new', { capabilities: { tools: {} } }, (method, params): Reply => {
    if (method === 'initialize') return { error: { code: -32022, message: 'Unsupported protocol version', data: { supported: ['2026-07-28'] } } };
    if (method === 'tools/list') return { result: { tools: [{ name: 'greet', inputSchema: { type: 'object' } }] } };
    const answer = (params.inputResponses as Params | undefined)?.who as Params | undefined;
    if (answer === undefined) {
      return {
        result: {
          resultType: 'input_required',
          inputRequests: {
            who: { method: 'elicitation/create', params: { message: 'Who?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } } },
          },
          requestState: 'mine',
        },
      };
    }
    return { result: { content: [{ type: 'text', text: `hi ${String((answer.content as Params).name)}` }] } };
  });
  return Object.assign(up, { protocol: '2026-07-28' });
};

async function mixed(): Promise<void> {
  proxy = createProxy({
    upstreams: [memoryUpstream('old', () => createLegacyPushServer(), 'shared'), modernOnly()],
    middleware: [await aggregate({ prefix: 'always', separator: '__' }, { log: silentLogger })],
  });
}

describe('aggregate over upstreams of both eras', () => {
  it('serves a 2026-07-28 client both: the 2025-era one through parked rounds sealed again by aggregate', async () => {
    await mixed();
    const client = await modernClient(proxy!);
    const discover = await client.ask('server/discover');
    expect(discover.result?.supportedVersions).toContain('2026-07-28');
    const names = ((await client.ask('tools/list')).result?.tools as Params[]).map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['old__ask_name', 'new__greet']));
    const caps = { elicitation: {} };
    const r1 = await client.request('tools/call', { name: 'old__ask_name', arguments: {} }, caps).reply;
    expect(r1.result?.resultType).toBe('input_required');
    const key = Object.keys(r1.result?.inputRequests as Params)[0]!;
    const done = await client.request(
      'tools/call',
      {
        name: 'old__ask_name',
        arguments: {},
        requestState: r1.result?.requestState,
        inputResponses: { [key]: { action: 'accept', content: { name: 'Ada' } } },
      },
      caps,
    ).reply;
    expect((done.result?.content as Params[])[0]).toEqual({ type: 'text', text: 'Hello, Ada!' });
    // A state aggregate sealed for one upstream does not reach the other.
    const crossed = await client.request('tools/call', { name: 'new__greet', arguments: {}, requestState: r1.result?.requestState, inputResponses: {} }, caps)
      .reply;
    expect(crossed.error?.code).toBe(-32602);
  });

  it('serves a 2025-era client both: the 2026-07-28-only one through requests pushed to it', async () => {
    await mixed();
    const client = await memoryClient(proxy!, { elicitation: {} });
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name: 'Bo' } }));
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['old__ask_name', 'new__greet']));
    expect((await client.callTool({ name: 'new__greet', arguments: {} })).content).toEqual([{ type: 'text', text: 'hi Bo' }]);
    expect((await client.callTool({ name: 'old__ask_name', arguments: {} })).content).toEqual([{ type: 'text', text: 'Hello, Bo!' }]);
  });
});
