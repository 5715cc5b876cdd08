import { createProxy, type Params, type Proxy, type Reply } from '@mcproxy/core';
import { modernClient, startModernFixtureHttpServer, type ModernFixtureHttpServer } from '@mcproxy/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { streamableHttpUpstream } from '../index.js';

let proxy: Proxy | undefined;
let fixture: ModernFixtureHttpServer | undefined;
afterEach(async () => {
  await proxy?.close();
  await fixture?.close();
});

const keyOf = (reply: Reply): string => Object.keys(reply.result?.inputRequests as Params)[0]!;

describe('the era bridge over a 2025-era HTTP upstream', () => {
  it('parks a call whose server pushes requests on its response stream, round after round, and resumes it with each retry', async () => {
    fixture = await startModernFixtureHttpServer({ era: 'legacy' });
    proxy = createProxy({ upstreams: [{ name: 'old', mode: 'shared', connect: streamableHttpUpstream({ url: fixture.url }) }] });
    const client = await modernClient(proxy);
    const caps = { elicitation: {} };
    const call = (extra: Params = {}) => client.request('tools/call', { name: 'test_input_required_result_multi_round', arguments: {}, ...extra }, caps).reply;
    const r1 = await call();
    expect(r1.result).toMatchObject({ resultType: 'input_required' });
    const r2 = await call({ requestState: r1.result?.requestState, inputResponses: { [keyOf(r1)]: { action: 'accept', content: { name: 'Ada' } } } });
    expect(r2.result).toMatchObject({ resultType: 'input_required' });
    expect((r2.result?.inputRequests as Record<string, Params>)[keyOf(r2)]?.params).toMatchObject({ message: 'What is your favourite colour?' });
    const done = await call({ requestState: r2.result?.requestState, inputResponses: { [keyOf(r2)]: { action: 'accept', content: { color: 'green' } } } });
    expect(done.result?.content).toEqual([{ type: 'text', text: 'Multi-round complete: Ada likes green' }]);
    expect(proxy.parked.size).toBe(0);
  });
});
