import { describe, expect, it } from 'vitest';
import { decodedUri } from './decode.js';

describe('decodedUri', () => {
  it('decodes percent-encodings, twice-encoded ones too', () => {
    expect(decodedUri('file:///%65tc/passwd')).toBe('file:///etc/passwd');
    expect(decodedUri('file:///%2565tc/passwd')).toBe('file:///etc/passwd');
    expect(decodedUri('file:///tmp/%2E%2E/etc')).toBe('file:///tmp/../etc');
  });

  it('leaves a URI without encodings, and bytes that are not UTF-8, as they are', () => {
    expect(decodedUri('file:///tmp/a.txt')).toBe('file:///tmp/a.txt');
    expect(decodedUri('file:///%FF/%65tc')).toBe('file:///%FF/etc');
    expect(decodedUri('100%')).toBe('100%');
  });
});
