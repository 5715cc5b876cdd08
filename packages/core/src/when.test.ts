import { describe, expect, it } from 'vitest';
import type { Context, Middleware } from './middleware.js';
import type { Principal } from './principal.js';
import { onlyWhen, principalMatches } from './when.js';

const p = (id: string, scopes: string[] = []): Principal => ({ id, kind: 'jwt', scopes, claims: {} });

describe('principalMatches', () => {
  it('needs the id among principals and every scope, whichever are given', () => {
    expect(principalMatches({ principals: ['ci', 'alice'] }, p('alice'))).toBe(true);
    expect(principalMatches({ principals: ['ci'] }, p('alice'))).toBe(false);
    expect(principalMatches({ scopes: ['mcp:admin', 'mcp:tools'] }, p('bob', ['mcp:tools', 'mcp:admin', 'x']))).toBe(true);
    expect(principalMatches({ scopes: ['mcp:admin', 'mcp:tools'] }, p('bob', ['mcp:tools']))).toBe(false);
    expect(principalMatches({ principals: ['bob'], scopes: ['mcp:admin'] }, p('bob', []))).toBe(false);
    expect(principalMatches({ principals: ['bob'] }, undefined)).toBe(false);
  });
});

describe('onlyWhen', () => {
  it('runs the middleware for matching sessions and skips it (next) for the rest, keeping its name', async () => {
    const ran: string[] = [];
    const mw: Middleware = async function stamp(ctx) {
      ran.push(ctx.session.id);
      return { result: { stamped: true } };
    };
    const guarded = onlyWhen({ principals: ['ci'] }, mw);
    expect(guarded.name).toBe('stamp (when)');
    const ctx = (id: string, principal?: Principal) =>
      ({ session: { id, state: new Map(), era: 'legacy', client: undefined, principal } }) as unknown as Context;
    const next = async () => ({ result: { passed: true } });
    expect(await guarded(ctx('a', p('ci')), next)).toEqual({ result: { stamped: true } });
    expect(await guarded(ctx('b', p('alice')), next)).toEqual({ result: { passed: true } });
    expect(await guarded(ctx('c'), next)).toEqual({ result: { passed: true } });
    expect(ran).toEqual(['a']);
  });
});
