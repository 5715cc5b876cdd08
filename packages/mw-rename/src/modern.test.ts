import { afterEach, describe, expect, it } from 'vitest';
import { createProxy, silentLogger, type Params, type Proxy } from '@mcproxy/core';
import { aggregate } from '@mcproxy/mw-aggregate';
import { modernClient, modernUpstream, toolList as tools } from '@mcproxy/testing';
import rename from './index.js';

let proxy: Proxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

const text = (t: string) => ({ result: { content: [{ type: 'text', text: t }] } });
const server = (name: string) =>
  modernUpstream(name, { capabilities: { tools: {} } }, (method, p) =>
    method === 'tools/list' ? tools(['search', `only_${name}`], { ttlMs: 2000, cacheScope: 'public' }) : text(`${name}:${String(p.name)}`),
  );

describe('rename for 2026-07-28 clients', () => {
  it("shows the new name with the hints kept, and the name that leaves for the upstream (and its Mcp-Name header) is the upstream's own", async () => {
    const a = server('a');
    const b = server('b');
    const renames = await rename({ tools: { b__search: { name: 'find', title: 'Find in b' } } }, { log: silentLogger });
    proxy = createProxy({ upstreams: [a, b], middleware: [renames, await aggregate({}, { log: silentLogger })] });
    const client = await modernClient(proxy);
    const { result } = await client.ask('tools/list');
    expect((result?.tools as Params[]).map((t) => t.name)).toEqual(['a__search', 'only_a', 'find', 'only_b']);
    expect(result).toMatchObject({ ttlMs: 2000, cacheScope: 'public' });
    expect((await client.ask('tools/call', { name: 'find' })).result).toMatchObject({ content: [{ text: 'b:search' }] });
    // The transport computes Mcp-Name from the message core sends, after every middleware: this name.
    expect(b.sent('tools/call').map((c) => c.name)).toEqual(['search']);
    expect((await client.ask('tools/call', { name: 'b__search' })).error).toMatchObject({ code: -32602 });
    expect(b.sent('tools/call')).toHaveLength(1);
    expect(a.sent('tools/call')).toHaveLength(0);
  });
});
