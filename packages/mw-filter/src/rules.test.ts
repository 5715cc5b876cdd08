import { describe, expect, it } from 'vitest';
import { compileGlob, RuleSet } from './rules.js';

const names = (pattern: string, value: string): boolean => compileGlob('tools', pattern).test(value);
const uris = (pattern: string, value: string): boolean => compileGlob('resources', pattern).test(value);

describe('globs on names', () => {
  it('let * match any run of characters, a slash and a leading dot included', () => {
    expect(names('delete_*', 'delete_all')).toBe(true);
    expect(names('*', 'fs/read')).toBe(true);
    expect(names('*', '.hidden')).toBe(true);
    expect(names('fs/*', 'fs/read')).toBe(true);
    expect(names('fs/*', 'git/read')).toBe(false);
  });

  it('are case-sensitive and read ! and # literally', () => {
    expect(names('Read', 'read')).toBe(false);
    expect(names('!read', 'write')).toBe(false);
    expect(names('!read', '!read')).toBe(true);
    expect(names('#x', '#x')).toBe(true);
  });

  it('expand braces', () => {
    expect(names('{read,list}_file', 'list_file')).toBe(true);
    expect(names('{read,list}_file', 'write_file')).toBe(false);
  });
});

describe('globs on URIs', () => {
  it('let ** cross slashes and keep file:/// apart from file://host', () => {
    expect(uris('file:///tmp/**', 'file:///tmp/a/b.txt')).toBe(true);
    expect(uris('file:///tmp/**', 'file:///tmp/.ssh/id')).toBe(true);
    expect(uris('file:///tmp/**', 'file://tmp/a')).toBe(false);
    expect(uris('file:///tmp/**', 'file:///etc/passwd')).toBe(false);
  });

  it('stop * at a slash', () => {
    expect(uris('file:///tmp/*', 'file:///tmp/a.txt')).toBe(true);
    expect(uris('file:///tmp/*', 'file:///tmp/a/b.txt')).toBe(false);
  });

  it('never let ** climb out with ..', () => {
    expect(uris('file:///tmp/**', 'file:///tmp/../etc/passwd')).toBe(false);
  });

  it('match hosts, queries and template braces', () => {
    expect(uris('https://*.example.com/**', 'https://api.example.com/v1?q=1')).toBe(true);
    expect(compileGlob('resourceTemplates', 'db://{schema}/{table}').test('db://{schema}/{table}')).toBe(true);
  });
});

describe('RuleSet', () => {
  it('allows everything without rules, and with an empty allow list', () => {
    expect(new RuleSet({}).allows('tools', undefined, 'x')).toBe(true);
    expect(new RuleSet({ tools: { allow: [] } }).allows('tools', undefined, 'x')).toBe(true);
  });

  it('lets deny win over allow', () => {
    const rules = new RuleSet({ tools: { allow: ['*'], deny: ['rm'] } });
    expect(rules.allows('tools', undefined, 'rm')).toBe(false);
    expect(rules.allows('tools', undefined, 'ls')).toBe(true);
  });

  it('applies the global rules and the upstream rules both', () => {
    const rules = new RuleSet({ tools: { deny: ['rm'] }, upstreams: { git: { tools: { allow: ['status'] } } } });
    expect(rules.allows('tools', 'git', 'status')).toBe(true);
    expect(rules.allows('tools', 'git', 'log')).toBe(false);
    expect(rules.allows('tools', 'fs', 'log')).toBe(true);
    expect(rules.allows('tools', 'fs', 'rm')).toBe(false);
    expect(rules.allows('tools', undefined, 'log')).toBe(true);
    expect(rules.upstreams).toEqual(['git']);
  });

  it('keeps kinds apart', () => {
    const rules = new RuleSet({ prompts: { deny: ['*'] } });
    expect(rules.allows('prompts', undefined, 'p')).toBe(false);
    expect(rules.allows('tools', undefined, 'p')).toBe(true);
  });
});
