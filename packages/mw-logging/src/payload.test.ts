import { describe, expect, it } from 'vitest';
import { nameOf } from './describe.js';
import { capPayload, CUT } from './payload.js';

const size = (v: unknown): number => Buffer.byteLength(JSON.stringify(v), 'utf8');

describe('capPayload', () => {
  it('leaves a payload within the cap alone', () => {
    const value = { a: 1, b: ['x', null, true] };
    expect(capPayload(value, 100)).toEqual({ value });
  });

  it('cuts a long string and says how big the payload was', () => {
    const value = { text: 'z'.repeat(1000) };
    const capped = capPayload(value, 100);
    expect(capped.cutFrom).toBe(size(value));
    const text = (capped.value as { text: string }).text;
    expect(text.endsWith(CUT)).toBe(true);
    expect(size(capped.value)).toBeLessThanOrEqual(100 + 20);
  });

  it('keeps the keys it keeps where they were, and drops the rest with a note', () => {
    const value = { params: { arguments: { password: 'p'.repeat(50), other: 'o'.repeat(50) } }, tail: 'never reached' };
    const capped = capPayload(value, 60).value as { params: { arguments: Record<string, string> }; tail?: string };
    expect(Object.keys(capped.params.arguments)[0]).toBe('password');
    expect(capped.tail).toBeUndefined();
    expect(JSON.stringify(capped)).toContain('more key(s)');
  });

  it('shortens long arrays', () => {
    const capped = capPayload(
      Array.from({ length: 500 }, (_, i) => i),
      50,
    ).value as unknown[];
    expect(capped.length).toBeLessThan(50);
    expect(String(capped.at(-1))).toMatch(/more item\(s\)/);
  });

  it('never splits a character in two', () => {
    const capped = capPayload({ t: '€'.repeat(100) }, 40).value as { t: string };
    expect(capped.t).not.toContain('\uFFFD');
    expect(capped.t.endsWith(CUT)).toBe(true);
  });
});

describe('nameOf', () => {
  it('names what a message is about', () => {
    expect(nameOf('tools/call', { name: 'read' })).toBe('read');
    expect(nameOf('prompts/get', { name: 'p' })).toBe('p');
    expect(nameOf('resources/read', { uri: 'file:///a' })).toBe('file:///a');
    expect(nameOf('notifications/resources/updated', { uri: 'file:///a' })).toBe('file:///a');
    expect(nameOf('completion/complete', { ref: { type: 'ref/prompt', name: 'p' } })).toBe('p');
    expect(nameOf('completion/complete', { ref: { type: 'ref/resource', uri: 'db://{t}' } })).toBe('db://{t}');
    expect(nameOf('tools/list', {})).toBeUndefined();
    expect(nameOf('tools/call', undefined)).toBeUndefined();
  });
});
