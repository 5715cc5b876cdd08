import { describe, expect, it } from 'vitest';
import type { Context, Middleware, Principal } from '@mcproxy/core';
import { onlyWhen, principalMatches, refuseUnmatched } from '../../src/config/when.js';

const p = (id: string, scopes: string[] = []): Principal => ({ id, kind: 'jwt', scopes, claims: {} });

describe('principalMatches', () => {
  it('needs the id among principals and every scope, whichever are given', () => {
    expect(principalMatches({ principals: ['jwt:ci', 'jwt:alice'] }, p('alice'))).toBe(true);
    expect(principalMatches({ principals: ['jwt:ci'] }, p('alice'))).toBe(false);
    expect(principalMatches({ scopes: ['mcp:admin', 'mcp:tools'] }, p('bob', ['mcp:tools', 'mcp:admin', 'x']))).toBe(true);
    expect(principalMatches({ scopes: ['mcp:admin', 'mcp:tools'] }, p('bob', ['mcp:tools']))).toBe(false);
    expect(principalMatches({ principals: ['jwt:bob'], scopes: ['mcp:admin'] }, p('bob', []))).toBe(false);
    expect(principalMatches({ principals: ['jwt:bob'] }, undefined)).toBe(false);
  });

  it('tells an API key from a JWT subject of the same id', () => {
    const key: Principal = { id: 'ci', kind: 'api-key', scopes: [], claims: {} };
    expect(principalMatches({ principals: ['api-key:ci'] }, key)).toBe(true);
    expect(principalMatches({ principals: ['api-key:ci'] }, p('ci'))).toBe(false);
    expect(principalMatches({ principals: ['jwt:ci'] }, key)).toBe(false);
  });
});

describe('onlyWhen', () => {
  it('runs the middleware for matching sessions and skips it (next) for the rest, keeping its name', async () => {
    const ran: string[] = [];
    const mw: Middleware = async function stamp(ctx) {
      ran.push(ctx.session.id);
      return { result: { stamped: true } };
    };
    const guarded = onlyWhen({ principals: ['jwt:ci'] }, mw);
    expect(guarded.name).toBe('stamp (when)');
    const ctx = (id: string, principal?: Principal) =>
      ({ session: { id, state: new Map(), era: 'legacy', client: undefined, principal } }) as unknown as Context;
    const next = async () => ({ result: { passed: true } });
    expect(await guarded(ctx('a', p('ci')), next)).toEqual({ result: { stamped: true } });
    expect(await guarded(ctx('b', p('alice')), next)).toEqual({ result: { passed: true } });
    expect(await guarded(ctx('c'), next)).toEqual({ result: { passed: true } });
    expect(ran).toEqual(['a']);
  });

  it('refuses a principal written without its kind', () => {
    expect(() => onlyWhen({ principals: ['ci'] }, async () => undefined)).toThrow(/"api-key:ci".*"jwt:ci"/);
  });
});

describe('refuseUnmatched', () => {
  it('refuses requests and drops notifications of principals no entry names; passes the rest', async () => {
    const gate = refuseUnmatched([{ principals: ['api-key:ci'] }, { scopes: ['mcp:admin'] }]);
    const ctx = (kind: 'request' | 'notification', principal?: Principal) =>
      ({ kind, direction: 'upstream', message: { method: 'tools/list' }, session: { id: 's', state: new Map(), principal } }) as unknown as Context;
    const next = async () => ({ result: { passed: true } });
    const key: Principal = { id: 'ci', kind: 'api-key', scopes: [], claims: {} };
    expect(await gate(ctx('request', key), next)).toEqual({ result: { passed: true } });
    expect(await gate(ctx('request', p('x', ['mcp:admin'])), next)).toEqual({ result: { passed: true } });
    expect(await gate(ctx('request'), next)).toEqual({ result: { passed: true } });
    expect((await gate(ctx('request', p('ci')), next))?.error?.message).toMatch(/jwt:ci is not named/);
    expect(await gate(ctx('notification', p('ci')), next)).toBeUndefined();
  });
});
