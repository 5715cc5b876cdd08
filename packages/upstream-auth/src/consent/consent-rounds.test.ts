import { createProxy, type Params, type Principal, type Proxy, type Reply } from '@mcproxy/core';
import { memoryClient, memoryUpstream, modernClient, modernUpstream, type ScriptedUpstream } from '@mcproxy/testing';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { McpError, UrlElicitationRequiredError } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { consentRounds, type ConsentRoundsOptions } from './consent-rounds.js';
import { STATE_PREFIX } from './consent-states.js';

/** Flows a test finishes by hand: the part of AuthorizationFlows consent rounds use. */
class HandFlows {
  readonly waited: string[] = [];
  private readonly done = new Map<string, () => void>();
  private readonly finished = new Set<string>();
  startUrl = (id: string): string => `http://127.0.0.1:9/oauth/start?flow=${id}`;
  waitFor(id: string, ms: number): Promise<boolean> {
    this.waited.push(id);
    if (this.finished.has(id)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.done.set(id, () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
  finish(id: string): void {
    this.finished.add(id);
    this.done.get(id)?.();
  }
}

const proxies: Proxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

/** A 2025-11-25 server whose `private` tool needs the user at a URL first, as that revision says (-32042), until `authorized` holds. */
function urlServer(flows: HandFlows, authorized: Set<string>) {
  return () => {
    const server = new McpServer({ name: 'private', version: '1.0.0' });
    server.registerTool('private', { description: 'needs a sign-in' }, async () => {
      if (!authorized.has('f1')) {
        throw new UrlElicitationRequiredError(
          [{ mode: 'url', elicitationId: 'f1', url: flows.startUrl('f1'), message: 'Sign in to Private' }],
          'Authorization required',
        );
      }
      return { content: [{ type: 'text', text: 'secret' }] };
    });
    return server;
  };
}

function setup(options: Partial<ConsentRoundsOptions> = {}) {
  const flows = new HandFlows();
  const authorized = new Set<string>();
  const upstream = memoryUpstream('private', urlServer(flows, authorized), 'shared');
  const proxy = createProxy({ upstreams: [upstream], middleware: [consentRounds({ flows, ...options })] });
  proxies.push(proxy);
  const authorize = () => {
    authorized.add('f1');
    flows.finish('f1');
  };
  return { flows, proxy, authorize };
}

const URL_CAPS = { elicitation: { url: {} } };

/** A 2026-07-28 client's `tools/call` through consent rounds to `upstream`: its round, then `between` (the user signs in), then its retry. */
async function roundAndRetry(upstream: ScriptedUpstream, flows: HandFlows, between: () => void) {
  const proxy = createProxy({ upstreams: [upstream], middleware: [consentRounds({ flows })] });
  proxies.push(proxy);
  const client = await modernClient(proxy);
  const first = await client.request('tools/call', call, URL_CAPS).reply;
  expect(first.result?.resultType).toBe('input_required');
  between();
  const retry = { ...call, requestState: first.result?.requestState, inputResponses: { [keyOf(first)]: { action: 'accept' } } };
  return { first, done: await client.request('tools/call', retry, URL_CAPS).reply };
}

/** A 2025-11-25 "URL elicitation required" error (-32042) sending the user to `url`. */
const signInFirst = (elicitationId: string, url: string): Reply => ({
  error: { code: -32042, message: 'sign in', data: { elicitations: [{ mode: 'url', elicitationId, url, message: 'Sign in' }] } },
});
const alice: Principal = { id: 'alice', kind: 'jwt', scopes: [], claims: {} };
const bob: Principal = { id: 'bob', kind: 'jwt', scopes: [], claims: {} };
const call = { name: 'private', arguments: {} };

describe('consent rounds for 2025-era clients', () => {
  it('passes -32042 as it is to a client that declared URL elicitation; its retry after signing in succeeds', async () => {
    const { proxy, authorize } = setup();
    const client = await memoryClient(proxy, URL_CAPS);
    const refused = await client.callTool(call).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UrlElicitationRequiredError);
    expect((refused as UrlElicitationRequiredError).elicitations).toEqual([
      { mode: 'url', elicitationId: 'f1', url: 'http://127.0.0.1:9/oauth/start?flow=f1', message: 'Sign in to Private' },
    ]);
    authorize();
    expect((await client.callTool(call)).content).toEqual([{ type: 'text', text: 'secret' }]);
  });

  it('gives a client without URL elicitation -32019 whose message carries the URL', async () => {
    const { proxy } = setup();
    const client = await memoryClient(proxy, { elicitation: {} });
    const refused = (await client.callTool(call).catch((e: unknown) => e)) as McpError;
    expect(refused).toBeInstanceOf(McpError);
    expect(refused.code).toBe(-32019);
    expect(refused.message).toContain('http://127.0.0.1:9/oauth/start?flow=f1');
    expect(refused.data).toMatchObject({ reason: 'authorization_required', urls: ['http://127.0.0.1:9/oauth/start?flow=f1'] });
  });
});

const keyOf = (reply: Reply): string => Object.keys(reply.result?.inputRequests as Params)[0]!;

describe('consent rounds for 2026-07-28 clients', () => {
  it('turns -32042 into an input_required round; the retry waits for the flow, loses our state and succeeds (through the bridge to a 2025-era server)', async () => {
    const { proxy, authorize, flows } = setup();
    const client = await modernClient(proxy);
    const first = await client.request('tools/call', call, URL_CAPS).reply;
    // The exact wire shape of 2026-07-28 (core adds its serverInfo to _meta).
    expect(first.result).toMatchObject({
      resultType: 'input_required',
      inputRequests: { 'authorize-1': { method: 'elicitation/create', params: { mode: 'url', message: 'Sign in to Private', url: flows.startUrl('f1') } } },
    });
    expect(Object.keys(first.result?.inputRequests as Params)).toEqual(['authorize-1']);
    expect(String(first.result?.requestState).startsWith(STATE_PREFIX)).toBe(true);
    const retry = client.request(
      'tools/call',
      { ...call, requestState: first.result?.requestState, inputResponses: { [keyOf(first)]: { action: 'accept' } } },
      URL_CAPS,
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(flows.waited).toEqual(['f1']);
    authorize();
    const done = await retry.reply;
    expect(done.result?.content).toEqual([{ type: 'text', text: 'secret' }]);
    // One use: the same state again is no longer ours, so the request simply goes on (and succeeds now).
    const again = await client.request('tools/call', { ...call, requestState: first.result?.requestState }, URL_CAPS).reply;
    expect(again.result?.content).toEqual([{ type: 'text', text: 'secret' }]);
  });

  it('strips requestState and inputResponses before a 2026-07-28 upstream, which sees the original request', async () => {
    const flows = new HandFlows();
    let signedIn = false;
    const upstream = modernUpstream('modern', { capabilities: { tools: {} } }, () =>
      signedIn ? { result: { content: [{ type: 'text', text: 'ok' }] } } : signInFirst('m1', 'https://as.example/authorize?x=1'),
    );
    const { done } = await roundAndRetry(upstream, flows, () => {
      signedIn = true;
    });
    expect(done.result?.content).toEqual([{ type: 'text', text: 'ok' }]);
    const sent = upstream.sent('tools/call');
    expect(sent).toHaveLength(2);
    expect(sent[1]).not.toHaveProperty('requestState');
    expect(sent[1]).not.toHaveProperty('inputResponses');
    // Not one of our flows: nothing is waited for.
    expect(flows.waited).toEqual([]);
  });

  it("a -32042 to the proxy's own server/discover (the upstream's credentials) is a round too, and the era is asked again after it", async () => {
    const flows = new HandFlows();
    let signedIn = false;
    const discover = (): Reply =>
      signedIn
        ? { result: { resultType: 'complete', supportedVersions: ['2026-07-28'], capabilities: { tools: {} } } }
        : signInFirst('d1', flows.startUrl('d1'));
    const upstream = modernUpstream('modern', discover, () => ({ result: { content: [{ type: 'text', text: 'ok' }] } }));
    const { done } = await roundAndRetry(upstream, flows, () => {
      signedIn = true;
      flows.finish('d1');
    });
    // Not taken for a 2025-era server (which would have sent the call through the bridge): a modern call.
    expect(done.result?.content).toEqual([{ type: 'text', text: 'ok' }]);
    expect(upstream.sent('server/discover')).toHaveLength(2);
    expect(upstream.sent('tools/call')).toHaveLength(1);
  });

  it('passes a requestState that is not ours on untouched', async () => {
    const upstream = modernUpstream('modern', { capabilities: { tools: {} } }, () => ({ result: { content: [] } }));
    const proxy = createProxy({ upstreams: [upstream], middleware: [consentRounds()] });
    proxies.push(proxy);
    const client = await modernClient(proxy);
    await client.request('tools/call', { ...call, requestState: 'theirs', inputResponses: { a: { action: 'accept' } } }, URL_CAPS).reply;
    expect(upstream.sent('tools/call')[0]).toMatchObject({ requestState: 'theirs', inputResponses: { a: { action: 'accept' } } });
  });

  it('binds the round to its principal: another principal is refused -32602, the owner still retries', async () => {
    const { proxy, authorize } = setup();
    const a = await modernClient(proxy, undefined, alice);
    const b = await modernClient(proxy, undefined, bob);
    const first = await a.request('tools/call', call, URL_CAPS).reply;
    const stolen = await b.request('tools/call', { ...call, requestState: first.result?.requestState }, URL_CAPS).reply;
    expect(stolen.error).toMatchObject({ code: -32602, message: expect.stringContaining('another principal') });
    const other = await a.request('tools/call', { name: 'other', arguments: {}, requestState: first.result?.requestState }, URL_CAPS).reply;
    expect(other.error).toMatchObject({ code: -32602, message: expect.stringContaining('another request') });
    authorize();
    const done = await a.request('tools/call', { ...call, requestState: first.result?.requestState }, URL_CAPS).reply;
    expect(done.result?.content).toEqual([{ type: 'text', text: 'secret' }]);
  });

  it('a declined round is answered -32019 at once; a flow that never ends is waited for waitMs only, then the request goes on (a new round)', async () => {
    const { proxy, flows } = setup({ waitMs: 100 });
    const client = await modernClient(proxy);
    const first = await client.request('tools/call', call, URL_CAPS).reply;
    const declined = await client.request(
      'tools/call',
      { ...call, requestState: first.result?.requestState, inputResponses: { [keyOf(first)]: { action: 'decline' } } },
      URL_CAPS,
    ).reply;
    expect(declined.error).toMatchObject({ code: -32019, message: expect.stringContaining(flows.startUrl('f1')) });
    expect(flows.waited).toEqual([]);
    const second = await client.request('tools/call', call, URL_CAPS).reply;
    const started = Date.now();
    const third = await client.request(
      'tools/call',
      { ...call, requestState: second.result?.requestState, inputResponses: { [keyOf(second)]: { action: 'accept' } } },
      URL_CAPS,
    ).reply;
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
    expect(third.result?.resultType).toBe('input_required');
    expect(third.result?.requestState).not.toBe(second.result?.requestState);
  });

  it('gives -32019 with the URL to a 2026-07-28 client without URL elicitation, and for a request that cannot take a round', async () => {
    const { proxy, flows } = setup();
    const client = await modernClient(proxy);
    const plain = await client.request('tools/call', call, { elicitation: {} }).reply;
    expect(plain.error).toMatchObject({ code: -32019, message: expect.stringContaining(flows.startUrl('f1')) });
  });

  it('keeps at most maxRounds rounds: the oldest state is forgotten and its retry goes on as a new request', async () => {
    const { proxy } = setup({ maxRounds: 2 });
    const client = await modernClient(proxy);
    const states: unknown[] = [];
    for (let i = 0; i < 3; i++) states.push((await client.request('tools/call', call, URL_CAPS).reply).result?.requestState);
    const oldest = await client.request('tools/call', { ...call, requestState: states[0] }, URL_CAPS).reply;
    // Forgotten: not refused, just a fresh request that needs a new round.
    expect(oldest.result?.resultType).toBe('input_required');
  });
});
