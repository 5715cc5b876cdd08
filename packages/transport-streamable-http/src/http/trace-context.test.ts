import { describe, expect, it } from 'vitest';
import { traceFromHeaders, traceHeaders, traceValue } from './trace-context.js';

const PARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('W3C trace context over HTTP', () => {
  it("copies a request's trace headers into _meta, unless the message brings its own traceparent", () => {
    const bare = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x' } };
    expect(traceFromHeaders(bare, { traceparent: PARENT, tracestate: 'a=1', baggage: 'k=v' })).toEqual({
      ...bare,
      params: { name: 'x', _meta: { traceparent: PARENT, tracestate: 'a=1', baggage: 'k=v' } },
    });
    const own = { ...bare, params: { _meta: { traceparent: PARENT.replace('01', '00') } } };
    expect(traceFromHeaders(own, { traceparent: PARENT })).toBe(own);
    expect(traceFromHeaders(bare, {})).toBe(bare);
    expect(traceFromHeaders([bare], { traceparent: PARENT })).toEqual([bare]);
  });

  it('passes on only well-formed, bounded, printable values', () => {
    expect(traceValue('traceparent', PARENT)).toBe(PARENT);
    expect(traceValue('traceparent', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBeUndefined();
    expect(traceValue('traceparent', '00-xyz-00f067aa0ba902b7-01')).toBeUndefined();
    expect(traceValue('tracestate', 'a=1\r\nx-injected: 1')).toBeUndefined();
    expect(traceValue('tracestate', 'a'.repeat(513))).toBeUndefined();
    expect(traceValue('baggage', 42)).toBeUndefined();
    expect(traceFromHeaders({ jsonrpc: '2.0', method: 'ping' }, { traceparent: 'garbage' })).toEqual({ jsonrpc: '2.0', method: 'ping' });
  });

  it('mirrors _meta trace context into the headers of an upstream request', () => {
    const message = { jsonrpc: '2.0' as const, id: 1, method: 'ping', params: { _meta: { traceparent: PARENT, tracestate: 'bad\nvalue' } } };
    expect(traceHeaders(message, { accept: 'x' })).toEqual({ accept: 'x', traceparent: PARENT });
    expect(traceHeaders({ jsonrpc: '2.0', id: 1, result: {} }, {})).toEqual({});
  });
});
