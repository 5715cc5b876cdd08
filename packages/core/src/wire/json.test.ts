import { describe, expect, it } from 'vitest';
import { jsonOf, shareJson } from './json.js';

describe('jsonOf', () => {
  it('writes what JSON.stringify writes, for shared and unshared results alike', () => {
    const result = shareJson({ tools: [{ name: 'a' }, { name: 'b "quoted"' }] });
    for (const id of [0, '', 'x"y', 17]) {
      expect(JSON.parse(jsonOf({ jsonrpc: '2.0', id, result }))).toEqual({ jsonrpc: '2.0', id, result });
    }
    const plain = { jsonrpc: '2.0' as const, id: 1, error: { code: -1, message: 'no' } };
    expect(jsonOf(plain)).toBe(JSON.stringify(plain));
  });

  it('stringifies a shared result once', () => {
    let reads = 0;
    const result = shareJson({
      get tools() {
        reads++;
        return ['t'];
      },
    });
    jsonOf({ jsonrpc: '2.0', id: 1, result });
    jsonOf({ jsonrpc: '2.0', id: 2, result });
    expect(reads).toBe(1);
  });
});
