import { describe, expect, it } from 'vitest';
import { aliasUri, parseAlias, spellingsOf } from './index.js';

describe('resource aliases', () => {
  it('rewrites a URI reversibly, whatever it and the upstream contain', () => {
    const uri = 'file:///a b/c?d=e#f';
    expect(aliasUri('a', 'file:///etc/passwd')).toBe('mcproxy://a/file%3A%2F%2F%2Fetc%2Fpasswd');
    expect(parseAlias(aliasUri('my/fs', uri))).toEqual({ upstream: 'my/fs', uri });
  });

  it('reads nothing from a URI that is not an alias or does not decode', () => {
    expect(parseAlias('file:///x')).toBeUndefined();
    expect(parseAlias('mcproxy://no-slash')).toBeUndefined();
    expect(parseAlias('mcproxy://a/%E0%A4%A')).toBeUndefined();
  });

  it('spells a URI as written, then every alias layer in it', () => {
    const inner = aliasUri('b c', 'file:///x');
    expect(spellingsOf(aliasUri('a', inner), 'up')).toEqual([
      { uri: aliasUri('a', inner), upstream: 'up' },
      { uri: inner, upstream: 'a' },
      { uri: 'file:///x', upstream: 'b c' },
    ]);
    expect(spellingsOf('file:///x', undefined)).toEqual([{ uri: 'file:///x', upstream: undefined }]);
  });

  it('stops after eight layers', () => {
    let uri = 'file:///x';
    for (let i = 0; i < 20; i++) uri = aliasUri(`u${i}`, uri);
    expect(spellingsOf(uri, undefined)).toHaveLength(9);
  });
});
