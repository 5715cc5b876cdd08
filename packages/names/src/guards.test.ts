import { describe, expect, it } from 'vitest';
import type { SessionInfo } from '@mcproxy/core';
import { addGuard, deniedByGuards, GUARDS, hasGuards, type Guard } from './index.js';

const session = (): SessionInfo => ({ id: 's', state: new Map(), era: undefined, client: undefined, onClose: () => () => {} });

describe('guards', () => {
  it('denies nothing on a session without guards', () => {
    const s = session();
    expect(hasGuards(s)).toBe(false);
    expect(deniedByGuards(s, 'tools', 'echo', undefined)).toBe(false);
  });

  it('denies what any guard denies, and passes kind, spelling and upstream to each', () => {
    const s = session();
    const seen: unknown[] = [];
    addGuard(s, (kind, value, upstream) => {
      seen.push([kind, value, upstream]);
      return false;
    });
    addGuard(s, (kind, value, upstream) => kind === 'tools' && value === 'rm' && upstream === 'a');
    expect(hasGuards(s)).toBe(true);
    expect(deniedByGuards(s, 'tools', 'rm', 'a')).toBe(true);
    expect(deniedByGuards(s, 'tools', 'rm', 'b')).toBe(false);
    expect(deniedByGuards(s, 'prompts', 'rm', 'a')).toBe(false);
    expect(seen[0]).toEqual(['tools', 'rm', 'a']);
  });

  it('keeps a guard once however often it is added, under the global key', () => {
    const s = session();
    const guard: Guard = () => true;
    addGuard(s, guard);
    addGuard(s, guard);
    expect(s.state.get(Symbol.for('mcproxy.guards'))).toEqual(new Set([guard]));
    expect(GUARDS).toBe(Symbol.for('mcproxy.guards'));
  });
});
