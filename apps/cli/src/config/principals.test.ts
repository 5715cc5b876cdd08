import { describe, expect, it } from 'vitest';
import { resolvePrincipals, UNMATCHED_GATE } from './principals.js';
import type { PipelineFile } from './schema.js';

const key = (id: string) => ({ id, key: 'k'.repeat(16), scopes: [] });
const jwt = {
  jwksUrl: 'http://127.0.0.1/jwks',
  issuer: 'i',
  audience: 'a',
  scopes: [],
  clockToleranceSec: 30,
  jwksCacheMs: 1,
  jwksCooldownMs: 1,
  jwksTimeoutMs: 1,
  verifiedCacheMs: 0,
};
const entry = (...principals: string[]) => ({ use: 'filter', with: {}, when: { principals } });
const run = (auth: PipelineFile['auth'], ...principals: string[]) => resolvePrincipals('p.yaml', [entry(...principals)], auth)[0]!.when?.principals;

describe('resolvePrincipals', () => {
  it('reads a bare id as the only kind it can be', () => {
    expect(run({ apiKeys: [key('ci')], allowUnauthenticated: false }, 'ci')).toEqual(['api-key:ci']);
    expect(run({ jwt, allowUnauthenticated: false }, 'alice')).toEqual(['jwt:alice']);
    expect(run({ apiKeys: [key('ci')], jwt, allowUnauthenticated: false }, 'alice', 'api-key:ci', 'jwt:ci')).toEqual(['jwt:alice', 'api-key:ci', 'jwt:ci']);
  });

  it('refuses what could be either, or never match, naming the path', () => {
    expect(() => run({ apiKeys: [key('ci')], jwt, allowUnauthenticated: false }, 'ci')).toThrow(
      /pipeline\[0\]\.when\.principals\[0\]: .*"api-key:ci" or "jwt:ci"/,
    );
    expect(() => run({ apiKeys: [key('ci')], allowUnauthenticated: false }, 'cj')).toThrow(/no API key has the id "cj"/);
    expect(() => run({ apiKeys: [key('ci')], allowUnauthenticated: false }, 'jwt:ci')).toThrow(/no jwt section/);
    expect(() => run(undefined, 'ci')).toThrow(/no auth section/);
  });

  it('puts the gate first with auth.unmatched: refuse, and refuses it without any when:', () => {
    const auth = { apiKeys: [key('ci')], allowUnauthenticated: false, unmatched: 'refuse' as const };
    const out = resolvePrincipals('p.yaml', [entry('ci')], auth);
    expect(out[0]).toEqual({ use: UNMATCHED_GATE, with: { whens: [{ principals: ['api-key:ci'] }] } });
    expect(() => resolvePrincipals('p.yaml', [{ use: 'filter', with: {} }], auth)).toThrow(/auth\.unmatched/);
  });
});
