import { describe, expect, it } from 'vitest';
import { HOPS_META_KEY } from '@mcproxy/core';
import { hopsFromHeader, hopsHeaderFor } from './hops.js';

describe('hop lists over HTTP', () => {
  it('reads the hop list out of an outgoing body for the header', () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x', _meta: { [HOPS_META_KEY]: ['a', 'b'] } } });
    expect(hopsHeaderFor(body)).toBe('a,b');
    expect(hopsHeaderFor(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }))).toBeUndefined();
  });

  it('puts the header list into a message that lost its _meta, and leaves one that has it alone', () => {
    const bare = { jsonrpc: '2.0', id: 1, method: 'ping' };
    expect(hopsFromHeader(bare, { 'mcproxy-hops': 'a, b' })).toEqual({ ...bare, params: { _meta: { [HOPS_META_KEY]: ['a', 'b'] } } });
    const marked = { ...bare, params: { _meta: { [HOPS_META_KEY]: ['z'] } } };
    expect(hopsFromHeader(marked, { 'mcproxy-hops': 'a' })).toBe(marked);
    expect(hopsFromHeader(bare, {})).toBe(bare);
  });
});
