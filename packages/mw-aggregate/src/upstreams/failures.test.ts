import { afterEach, describe, expect, it } from 'vitest';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { createProxy, ProxyErrorCode, silentLogger, type Proxy } from '@mcproxy/core';
import { memoryClient, memoryUpstream, type MemoryUpstream } from '@mcproxy/testing';
import { textOf, toolServer } from '../../test/servers.js';
import { aggregate, type AggregateOptions } from '../index.js';

let proxy: Proxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

async function serve(upstreams: MemoryUpstream[], options: AggregateOptions): Promise<() => Promise<Client>> {
  proxy = createProxy({ upstreams, middleware: [await aggregate(options, { log: silentLogger })] });
  const p = proxy;
  return () => memoryClient(p);
}

/** Stops an in-memory upstream for good (until `fail(undefined)`): its server closes and it cannot be reached. */
async function kill(up: MemoryUpstream): Promise<void> {
  up.fail('connection refused');
  await Promise.all(up.servers.map((s) => s.close()));
}

const failure = async (p: Promise<unknown>): Promise<{ code: unknown; message: string; data: unknown }> => {
  try {
    await p;
  } catch (err) {
    const e = err as { code?: unknown; message: string; data?: unknown };
    return { code: e.code, message: e.message, data: e.data };
  }
  throw new Error('expected the request to fail');
};

const names = async (client: Client): Promise<string[]> => (await client.listTools()).tools.map((t) => t.name);

/** A server whose only tool list is kept by aggregate, as it declares listChanged. */
const keptServer = (tool: string) => () => {
  const s = new Server({ name: 'kept', version: '1' }, { capabilities: { tools: { listChanged: true } } });
  s.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [{ name: tool, inputSchema: { type: 'object' } }] }));
  s.setRequestHandler(CallToolRequestSchema, async () => ({ content: [{ type: 'text', text: `kept:${tool}` }] }));
  return s;
};

describe('aggregate: names and lists when an upstream goes down', () => {
  it('keeps the prefixes a dead upstream caused, and answers its names as unavailable, never as missing', async () => {
    const b = memoryUpstream('b', toolServer('b', ['echo', 'only_b']));
    const connect = await serve([memoryUpstream('a', toolServer('a', ['echo'])), b], { retryMs: 60_000 });
    const client = await connect();
    expect(await names(client)).toEqual(['a__echo', 'b__echo', 'only_b']);
    await kill(b);
    const first = await failure(client.callTool({ name: 'b__echo' }));
    expect(first.data).toMatchObject({ upstream: 'b' });
    // b's items leave the list; a's keep their names.
    expect(await names(client)).toEqual(['a__echo']);
    expect(textOf(await client.callTool({ name: 'a__echo' }))).toBe('a:echo');
    for (const name of ['b__echo', 'only_b']) {
      const e = await failure(client.callTool({ name }));
      expect(e.code).toBe(ProxyErrorCode.UpstreamUnavailable);
      expect(e.message).toMatch(/upstream "b" is unavailable: .*connection refused|upstream "b" is unavailable/);
      expect(e.data).toMatchObject({ upstream: 'b' });
    }
    // A session that opens while b is down gets the same names.
    const late = await connect();
    expect(await names(late)).toEqual(['a__echo']);
    expect((await failure(late.callTool({ name: 'only_b' }))).code).toBe(ProxyErrorCode.UpstreamUnavailable);
    await expect(late.callTool({ name: 'echo' })).rejects.toThrow(/Tool echo not found/);
  });

  it('stops listing a kept list once its upstream is seen dead', async () => {
    const a = memoryUpstream('a', keptServer('a_tool'));
    const connect = await serve([a, memoryUpstream('c', keptServer('c_tool'))], { retryMs: 60_000 });
    const client = await connect();
    expect(await names(client)).toEqual(['a_tool', 'c_tool']);
    await kill(a);
    expect((await failure(client.callTool({ name: 'a_tool' }))).data).toMatchObject({ upstream: 'a' });
    expect(await names(client)).toEqual(['c_tool']);
    expect((await failure(client.callTool({ name: 'a_tool' }))).code).toBe(ProxyErrorCode.UpstreamUnavailable);
  });

  it("brings a dead upstream's items back under the same names when it answers again", async () => {
    const b = memoryUpstream('b', toolServer('b', ['echo']));
    const connect = await serve([memoryUpstream('a', toolServer('a', ['echo'])), b], { retryMs: 1 });
    const client = await connect();
    expect(await names(client)).toEqual(['a__echo', 'b__echo']);
    await kill(b);
    await failure(client.callTool({ name: 'b__echo' }));
    expect(await names(client)).toEqual(['a__echo']);
    b.fail(undefined);
    // Not a timing assertion: it polls until the back-offs (ours and core's) let b be tried again.
    let listed: string[] = [];
    for (let i = 0; i < 500 && listed.length < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      listed = await names(client);
    }
    expect(listed).toEqual(['a__echo', 'b__echo']);
    expect(textOf(await client.callTool({ name: 'b__echo' }))).toBe('b:echo');
  });

  it("relays core's fail-fast error as it is, and backs off at least until core's retryAt", async () => {
    const { Health } = await import('./health.js');
    const health = new Health(10, silentLogger);
    const retryAt = Date.now() + 20_000;
    health.observe('b', {
      error: { code: -32011, message: 'upstream "b" is unavailable: exited with code 1', data: { upstream: 'b', retryAt, exitCode: 1, stderr: 'boom' } },
    });
    const down = health.skipped('b');
    expect(down?.message).toMatch(/^upstream "b" is unavailable: exited with code 1/);
    expect(down?.data).toEqual({ upstream: 'b', retryAt, exitCode: 1, stderr: 'boom' });
    expect(health.skip('b', retryAt - 1)).toBeDefined();
    expect(health.skip('b', retryAt)).toBeUndefined();
  });
});
