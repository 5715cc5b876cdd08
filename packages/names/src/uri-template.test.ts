import { describe, expect, it } from 'vitest';
import { templatePattern } from './index.js';

describe('templatePattern', () => {
  it('matches a simple expression within one path segment', () => {
    expect(templatePattern('db://{table}/rows').test('db://users/rows')).toBe(true);
    expect(templatePattern('db://{table}/rows').test('db://a/b/rows')).toBe(false);
    expect(templatePattern('db://tables/{name}').test('db://tables/a?x')).toBe(false);
  });

  it('lets every other expression match anything', () => {
    expect(templatePattern('file:///{+path}').test('file:///a/b.txt')).toBe(true);
    expect(templatePattern('s://x{?q,page}').test('s://x?q=1&page=2')).toBe(true);
    expect(templatePattern('s://x{/seg}').test('s://x/a/b')).toBe(true);
  });

  it('takes the text around expressions literally, and the whole URI', () => {
    expect(templatePattern('s://a.b').test('s://aXb')).toBe(false);
    expect(templatePattern('s://a(b)+').test('s://a(b)+')).toBe(true);
    expect(templatePattern('db://{t}').test('xdb://t')).toBe(false);
    expect(templatePattern('db://{t}').test('db://t/extra')).toBe(false);
  });
});
