import { fromFactory, testMiddleware, type Kit } from '@mcproxy/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import createMiddleware from './index.js';

const tools = [{ name: 'echo', call: (args: Record<string, unknown>) => String(args.text) }, { name: 'delete_file' }];

let kit: Kit | undefined;
afterEach(() => kit?.close());

// A 2025 client (initialize, then a session) and a 2026-07-28 one (an envelope on every request).
describe.each(['legacy', 'modern'] as const)('__NAME__, %s client', (era) => {
  it('puts the prefix in front of what a tool returns', async () => {
    kit = await testMiddleware(await fromFactory(createMiddleware, { prefix: '> ' }), { era, upstream: { tools } });
    expect(await kit.callTool('echo', { text: 'hi' })).toMatchObject({ result: { content: [{ type: 'text', text: '> hi' }] } });
    expect(kit.sent('tools/call')).toEqual([{ name: 'echo', arguments: { text: 'hi' } }]);
  });

  it('hides the tools it is told to, from the list and from calls', async () => {
    kit = await testMiddleware(await fromFactory(createMiddleware, { hide: ['delete_file'] }), { era, upstream: { tools } });
    const list = await kit.call('tools/list');
    expect((list.result?.tools as Array<{ name: string }>).map((t) => t.name)).toEqual(['echo']);
    expect((await kit.callTool('delete_file')).error?.message).toBe('Unknown tool: delete_file');
    expect(kit.sent('tools/call')).toEqual([]);
  });
});

it('refuses options it does not know', async () => {
  await expect(fromFactory(createMiddleware, { prefx: '> ' })).rejects.toThrow(/prefx/);
});
