import { describe, expect, it } from 'vitest';
import { HOPS_META_KEY } from '@mcproxy/core';
import { hopsFromHeader, hopsHeader, parseHopsHeader } from './hops.js';

describe('hop lists over HTTP', () => {
  it('puts the header list into a message that lost its _meta, and leaves one that has it alone', () => {
    const bare = { jsonrpc: '2.0', id: 1, method: 'ping' };
    expect(hopsFromHeader(bare, { 'mcproxy-hops': 'a, b' })).toEqual({ ...bare, params: { _meta: { [HOPS_META_KEY]: ['a', 'b'] } } });
    const marked = { ...bare, params: { _meta: { [HOPS_META_KEY]: ['z'] } } };
    expect(hopsFromHeader(marked, { 'mcproxy-hops': 'a' })).toBe(marked);
    expect(hopsFromHeader(bare, {})).toBe(bare);
  });
  it('writes the header form of a hop list, leaving out ids a header cannot carry', () => {
    expect(hopsHeader(['a', 'b c', 'd,e', 'f'])).toBe('a,f');
    expect(hopsHeader(['x y'])).toBeUndefined();
    expect(parseHopsHeader(hopsHeader(['a', 'b']))).toEqual(['a', 'b']);
  });
});
