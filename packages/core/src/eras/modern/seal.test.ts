import { describe, expect, it } from 'vitest';
import { Seal } from './seal.js';

describe('Seal', () => {
  it('opens what it sealed, and nothing else', () => {
    const seal = new Seal();
    const token = seal.seal({ c: 'call', r: 1 });
    expect(seal.open(token)).toEqual({ payload: { c: 'call', r: 1 } });
    const [body, mac] = token.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ c: 'other', r: 1 })).toString('base64url');
    expect(seal.open(`${forged}.${mac}`)).toEqual({ failure: 'verification' });
    expect(seal.open(`${body}.${mac.slice(0, -1)}`)).toEqual({ failure: 'verification' });
    expect(new Seal().open(token)).toEqual({ failure: 'verification' });
    for (const junk of [undefined, 42, '', 'no-dot', '.mac', { token }]) expect(seal.open(junk)).toEqual({ failure: 'malformed' });
  });

  it('refuses a well-signed body that is not a JSON object', () => {
    const seal = new Seal('k'.repeat(32));
    const other = new Seal('k'.repeat(32));
    expect(other.open(seal.seal({ a: 1 }))).toEqual({ payload: { a: 1 } });
    // Only a payload this class sealed can carry a valid MAC; an array body signed with the same key is still refused.
    const arrayToken = seal.seal([1, 2] as unknown as object);
    expect(seal.open(arrayToken)).toEqual({ failure: 'malformed' });
  });
});
