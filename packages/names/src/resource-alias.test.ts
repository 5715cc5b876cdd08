import { describe, expect, it } from 'vitest';
import { aliasTemplate, aliasUri, parseAlias, spellingsOf, templatePattern } from './index.js';

describe('resource aliases', () => {
  it('rewrites a URI reversibly, whatever it and the upstream contain', () => {
    const uri = 'file:///a b/c?d=e#f';
    expect(aliasUri('a', 'file:///etc/passwd')).toBe('mcproxy://a/file%3A%2F%2F%2Fetc%2Fpasswd');
    expect(parseAlias(aliasUri('my/fs', uri))).toEqual({ upstream: 'my/fs', uri });
  });

  it('keeps an MCP App resource a ui:// address', () => {
    const alias = aliasUri('b', 'ui://get-time/app.html');
    expect(alias).toBe('ui://mcproxy/b/ui%3A%2F%2Fget-time%2Fapp.html');
    expect(parseAlias(alias)).toEqual({ upstream: 'b', uri: 'ui://get-time/app.html' });
  });

  it('aliases a template so that what a client expands from it undoes to what the upstream expands', () => {
    const template = 'test://template/{id}/data{?q}';
    const alias = aliasTemplate('a', template);
    expect(alias).toBe('mcproxy://a/=test://template/{id}/data{?q}');
    // The client expands the alias with the same values it would give the original: "x y" → "x%20y".
    const expanded = alias.replace('{id}', 'x%20y').replace('{?q}', '?q=1');
    expect(parseAlias(expanded)).toEqual({ upstream: 'a', uri: 'test://template/x%20y/data?q=1' });
    expect(templatePattern(alias).test(expanded)).toBe(true);
    expect(parseAlias(aliasTemplate('b', 'ui://v/{n}'))).toEqual({ upstream: 'b', uri: 'ui://v/{n}' });
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
