import { MemorySecretKeys, type SecretKeys } from '@mcproxy/core';
import { describe, expect, it } from 'vitest';
import { TaskIds } from './task-ids.js';

/** A ring that rotates on demand, as the replicas' shared one does. */
class Ring implements SecretKeys {
  private secrets = ['a'.repeat(64)];
  rotate(): void {
    this.secrets = [`${this.secrets.length}`.repeat(64).slice(0, 64), this.secrets[0]!];
  }
  key(purpose: string): Uint8Array {
    return new MemorySecretKeys(this.secrets[0]).key(purpose);
  }
  previous(purpose: string): Uint8Array[] {
    return this.secrets.slice(1).map((s) => new MemorySecretKeys(s).key(purpose));
  }
}

describe('task ids', () => {
  it('made on one replica open on another that shares the ring, for the same binding and upstream only', () => {
    const ring = new Ring();
    const [here, there] = [new TaskIds(ring), new TaskIds(ring)];
    const id = here.wrap('up', 'task-1', 'jwt:ann');
    expect(there.open(id, 'jwt:ann', ['up'])).toEqual({ upstream: 'up', id: 'task-1' });
    // Another principal's binding, or an upstream this proxy does not have: unknown.
    expect('error' in there.open(id, 'jwt:ben', ['up'])).toBe(true);
    expect('error' in there.open(id, 'jwt:ann', ['other'])).toBe(true);
    // A proxy with a key of its own opens none of them.
    expect('error' in new TaskIds(new MemorySecretKeys()).open(id, 'jwt:ann', ['up'])).toBe(true);
  });

  it('still open after the ring rotates once, and no longer after it rotates twice', () => {
    const ring = new Ring();
    const ids = new TaskIds(ring);
    const id = ids.wrap('up', 'task-1', '');
    ring.rotate();
    expect(ids.open(id, '', ['up'])).toEqual({ upstream: 'up', id: 'task-1' });
    const newer = ids.wrap('up', 'task-2', '');
    ring.rotate();
    expect('error' in ids.open(id, '', ['up'])).toBe(true);
    expect(ids.open(newer, '', ['up'])).toEqual({ upstream: 'up', id: 'task-2' });
  });
});
