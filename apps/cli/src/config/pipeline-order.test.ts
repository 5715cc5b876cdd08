import { describe, expect, it } from 'vitest';
import { checkToolSearchOrder } from './pipeline-order.js';

const e = (use: string, options: Record<string, unknown> = {}) => ({ use, with: options });
const check =
  (...entries: Array<ReturnType<typeof e>>) =>
  () =>
    checkToolSearchOrder('p.yaml', 'routes./a.pipeline', entries);

describe('checkToolSearchOrder', () => {
  it('refuses per-tool policy before tool-search, by short or package name, and says the order to use', () => {
    expect(check(e('rate-limit', { tools: [{ match: 'deploy' }] }), e('tool-search'))).toThrow(/routes\.\/a\.pipeline\[0\].*put tool-search before rate-limit/);
    expect(check(e('@mcproxy/mw-filter', { upstreams: { a: { tools: { deny: ['x'] } } } }), e('@mcproxy/mw-tool-search'))).toThrow(/tools rules/);
    expect(check(e('logging', { audit: true }), e('aggregate'), e('tool-search'))).toThrow(/an audit log/);
  });

  it('lets everything else be: policy after tool-search, principal limits, plain logging, resource filters, no tool-search', () => {
    expect(check(e('tool-search'), e('rate-limit', { tools: [{ match: 'deploy' }] }), e('filter', { tools: {} }))).not.toThrow();
    expect(check(e('rate-limit', { principal: { rate: 1 } }), e('logging'), e('filter', { resources: {} }), e('tool-search'))).not.toThrow();
    expect(check(e('rate-limit', { tools: [{ match: 'deploy' }] }), e('aggregate'))).not.toThrow();
  });
});
