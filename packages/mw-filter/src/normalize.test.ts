import { describe, expect, it } from 'vitest';
import { ambiguousUri, normalizedUri, removeDotSegments } from './normalize.js';

describe('removeDotSegments (RFC 3986 5.2.4)', () => {
  it('removes . and .., never above the root', () => {
    expect(removeDotSegments('/a/b/c/./../../g')).toBe('/a/g');
    expect(removeDotSegments('mid/content=5/../6')).toBe('mid/6');
    expect(removeDotSegments('/../alice/secret')).toBe('/alice/secret');
    expect(removeDotSegments('/alice/secret/.')).toBe('/alice/secret/');
    expect(removeDotSegments('/a/..')).toBe('/');
  });
});

describe('normalizedUri', () => {
  it('decodes, then resolves dot segments in the path only', () => {
    expect(normalizedUri('file:///shared/%2E%2E/alice/secret')).toBe('file:///alice/secret');
    expect(normalizedUri('file:///alice/./secret?x=../y')).toBe('file:///alice/secret?x=../y');
    expect(normalizedUri('https://h/a/../b')).toBe('https://h/b');
    expect(normalizedUri('test://static-text')).toBe('test://static-text');
  });
});

describe('ambiguousUri', () => {
  it('flags dot segments, encoded separators and backslashes', () => {
    for (const uri of [
      'file:///alice/./secret',
      'file:///a/%2e%2e/b',
      'file:///alice%2Fsecret',
      'file:///alice%252Fsecret',
      'file:///a\\..\\b',
      'file:///a/..',
    ])
      expect(ambiguousUri(uri), uri).toBe(true);
  });

  it('leaves ordinary URIs, dots inside names and queries alone', () => {
    for (const uri of ['file:///tmp/a.txt', 'file:///a/..b/.c', 'test://static-text', 'file:///a?b=../c', 'db://tables/x%20y'])
      expect(ambiguousUri(uri), uri).toBe(false);
  });
});
