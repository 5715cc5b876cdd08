import { afterEach, describe, expect, it } from 'vitest';
import { createProxy, silentLogger, type Params, type Proxy } from '@mcproxy/core';
import { aggregate } from '@mcproxy/mw-aggregate';
import { modernClient, modernUpstream, toolList as tools, whenTrue as until } from '@mcproxy/testing';
import filter, { type FilterOptions } from './index.js';

let proxy: Proxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

const text = (t: string) => ({ result: { content: [{ type: 'text', text: t }] } });

/** a: two tools; b: resources it lets clients subscribe to, under a template. */
const upstreams = () => [
  modernUpstream('a', { capabilities: { tools: {} } }, (method, p) =>
    method === 'tools/list' ? tools(['read_file', 'delete_file'], { ttlMs: 1000, cacheScope: 'public' }) : text(`a:${String(p.name)}`),
  ),
  modernUpstream('b', { capabilities: { resources: { subscribe: true } } }, (method) => {
    if (method === 'resources/templates/list') return { result: { resourceTemplates: [{ uriTemplate: 'secret://{id}', name: 'secrets' }] } };
    if (method === 'resources/list')
      return {
        result: {
          resources: [
            { uri: 'file:///tmp/a.txt', name: 'a' },
            { uri: 'file:///etc/passwd', name: 'p' },
          ],
        },
      };
    return { result: { contents: [] } };
  }),
];

async function serve(rules: FilterOptions) {
  const ups = upstreams();
  proxy = createProxy({ upstreams: ups, middleware: [await filter(rules, { log: silentLogger }), await aggregate({}, { log: silentLogger })] });
  return { client: await modernClient(proxy), a: ups[0]!, b: ups[1]! };
}

describe('filter for 2026-07-28 clients', () => {
  it('hides denied tools from a modern tools/list, keeping its caching hints, and refuses a call to one', async () => {
    const { client, a } = await serve({ tools: { deny: ['delete_*'] } });
    const { result } = await client.ask('tools/list');
    expect((result?.tools as Params[]).map((t) => t.name)).toEqual(['read_file']);
    expect(result).toMatchObject({ ttlMs: 1000, cacheScope: 'public' });
    expect((await client.ask('tools/call', { name: 'delete_file' })).error).toMatchObject({ code: -32602, message: expect.stringMatching(/delete_file/) });
    expect((await client.ask('tools/call', { name: 'read_file' })).result).toMatchObject({ content: [{ text: 'a:read_file' }] });
    expect(a.sent('tools/call').map((c) => c.name)).toEqual(['read_file']);
  });

  it('takes hidden URIs, and URIs of hidden templates, out of a listen before any upstream hears of them', async () => {
    const { client, b } = await serve({ resources: { deny: ['file:///etc/**'] }, resourceTemplates: { deny: ['secret://*'] } });
    const listen = client.request('subscriptions/listen', {
      notifications: {
        resourceSubscriptions: ['file:///etc/passwd', 'file:///tmp/a.txt', 'secret://42', `mcproxy://b/${encodeURIComponent('file:///etc/shadow')}`],
      },
    });
    await until(() => b.sent('subscriptions/listen').length > 0);
    expect(b.sent('subscriptions/listen')[0]!.notifications).toEqual({ resourceSubscriptions: ['file:///tmp/a.txt'] });
    await client.cancel(listen.id);
    expect((await client.ask('resources/read', { uri: 'file:///etc/passwd' })).error).toMatchObject({ code: -32602 });
    expect(b.sent('resources/read')).toHaveLength(0);
  });

  it('does the same on its own, in front of a single upstream with no aggregate', async () => {
    const b = upstreams()[1]!;
    const rules = { resources: { deny: ['file:///etc/**'] }, resourceTemplates: { deny: ['secret://*'] } };
    proxy = createProxy({ upstreams: [b], middleware: [await filter(rules, { log: silentLogger })] });
    const client = await modernClient(proxy);
    const listen = client.request('subscriptions/listen', {
      notifications: { resourcesListChanged: true, resourceSubscriptions: ['file:///etc/passwd', 'secret://7', 'file:///tmp/a.txt'] },
    });
    await until(() => b.sent('subscriptions/listen').length > 0);
    expect(b.sent('subscriptions/listen')[0]!.notifications).toEqual({ resourcesListChanged: true, resourceSubscriptions: ['file:///tmp/a.txt'] });
    await client.cancel(listen.id);
  });
});
