import { describe, expect, it } from 'vitest';
import { Subscriptions } from './subscriptions.js';

describe('Subscriptions', () => {
  it('tells the upstream on the first subscribe and the last unsubscribe only', () => {
    const subs = new Subscriptions<string>();
    expect(subs.add('file:///a', 's1')).toBe(true);
    expect(subs.add('file:///a', 's2')).toBe(false);
    expect(subs.subscribers('file:///a')).toEqual(['s1', 's2']);
    expect(subs.remove('file:///a', 's1')).toBe(false);
    expect(subs.remove('file:///a', 's2')).toBe(true);
  });

  it('returns what a closing session alone held', () => {
    const subs = new Subscriptions<string>();
    subs.add('a', 's1');
    subs.add('b', 's1');
    subs.add('b', 's2');
    expect(subs.dropSession('s1')).toEqual(['a']);
    expect(subs.subscribers('b')).toEqual(['s2']);
  });
});
