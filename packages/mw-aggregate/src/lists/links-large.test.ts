import { lazyJson, rawOf } from '@mcproxy/large-json';
import { describe, expect, it } from 'vitest';
import { linksOf, mapLinks } from './links.js';

/** Content as a transport leaves a large one: its bytes, unparsed. */
function kept(content: unknown[]): object {
  const json = Buffer.from(JSON.stringify(content));
  // Cut in two, so a needle may straddle pieces.
  const cut = json.indexOf('resource') + 4;
  const pieces = cut > 4 ? [json.subarray(0, cut), json.subarray(cut)] : [json];
  return lazyJson(pieces, json.length, true);
}

describe('resource links in a large tool result', () => {
  it('leaves content that can hold no link unparsed', () => {
    const content = kept([{ type: 'text', text: 'x'.repeat(100_000) }]);
    expect(linksOf('tools/call', { content })).toEqual([]);
    expect(rawOf(content)).toBeDefined();
  });

  it('still finds and maps a link inside it, even with the needle cut between two pieces', () => {
    const content = kept([
      { type: 'text', text: 'y'.repeat(100_000) },
      { type: 'resource_link', uri: 'file:///a.txt', name: 'a' },
    ]);
    expect(linksOf('tools/call', { content })).toEqual(['file:///a.txt']);
    const mapped = mapLinks('tools/call', { content }, () => 'mcproxy://up/a') as { content: Array<{ uri?: string }> };
    expect(mapped.content[1]?.uri).toBe('mcproxy://up/a');
  });

  it('looks into content whose bytes hold a \\u escape, since a link could be spelled with one', () => {
    const json = Buffer.from('[{"type":"resource\\u005flink","uri":"file:///b","name":"b"}]');
    const content = lazyJson([json], json.length, true);
    expect(linksOf('tools/call', { content })).toEqual(['file:///b']);
  });
});
