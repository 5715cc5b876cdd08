import { describe, expect, it } from 'vitest';
import { mergeInitialize, unionCapabilities } from './initialize.js';
import { optionsSchema } from '../options.js';

const options = optionsSchema.parse({});

describe('merging what upstreams said in initialize', () => {
  it('declares a capability when any upstream does, and a flag when any upstream sets it', () => {
    expect(
      unionCapabilities([
        { tools: {}, resources: { subscribe: true } },
        { tools: { listChanged: true }, resources: { listChanged: false }, completions: {} },
      ]),
    ).toEqual({ tools: { listChanged: true }, resources: { subscribe: true, listChanged: false }, completions: {} });
  });

  it('answers the version the client asked for only when every upstream speaks it', () => {
    const v = (answers: string[]) =>
      mergeInitialize(
        '2025-11-25',
        answers.map((p, i) => [`u${i}`, { protocolVersion: p }]),
        options,
      ).result?.protocolVersion;
    expect(v(['2025-11-25', '2025-11-25'])).toBe('2025-11-25');
    expect(v(['2025-11-25', '2025-06-18'])).toBe('2025-06-18');
  });

  it('puts its own instructions first and names each upstream in front of its own', () => {
    const reply = mergeInitialize(
      'x',
      [
        ['a', { instructions: 'A' }],
        ['b', {}],
        ['c', { instructions: 'C' }],
      ],
      optionsSchema.parse({ instructions: 'Be kind.' }),
    );
    expect(reply.result?.instructions).toBe('Be kind.\n\n## a\nA\n\n## c\nC');
    expect(reply.result?.serverInfo).toEqual({ name: 'mcproxy', version: '0.1.0' });
  });
});

describe('kept lists', () => {
  it('answers a kept view with one result object, whose JSON is made once', async () => {
    const { SessionLists } = await import('../lists/views.js');
    const { Health } = await import('../upstreams/health.js');
    const { merge } = await import('../lists/names.js');
    const { jsonOf, silentLogger } = await import('@mcproxy/core');
    const lists = new SessionLists(options, new Health(0, silentLogger));
    const view = merge('tools', [['a', [{ name: 'x' }]]], options);
    const result = lists.whole(view, 'tools');
    expect(lists.whole(view, 'tools')).toBe(result);
    expect(JSON.parse(jsonOf({ jsonrpc: '2.0', id: 3, result }))).toEqual({ jsonrpc: '2.0', id: 3, result: { tools: [{ name: 'x' }] } });
  });
});
