import { describe, expect, it } from 'vitest';
import { ToolIndex, words } from './search.js';

describe('words', () => {
  it('splits names on separators and camelCase humps, keeping the whole camelCase word too', () => {
    expect(words('github__create_issue')).toEqual(['github', 'create', 'issue']);
    expect(words('createIssue in GitHub')).toEqual(['createIssue', 'create', 'Issue', 'in', 'GitHub', 'Git', 'Hub']);
    expect(words('read-file v2.0')).toEqual(['read', 'file', 'v2', '0']);
    expect(words('')).toEqual([]);
  });
});

describe('ToolIndex', () => {
  const index = new ToolIndex([
    { name: 'list_issues', description: 'List the issues of a repository.' },
    { name: 'delete_file', description: 'Remove a file from disk.', inputSchema: { type: 'object', properties: { path: {} } } },
    { name: 'send_mail', title: 'Send an email', description: 42 as unknown as string },
  ]);

  it('meets a word in any form: plural, prefix, one slip, a verb people use for the one in the name', () => {
    expect(index.search('issue', 3)[0]?.name).toBe('list_issues');
    expect(index.search('repositories', 3)[0]?.name).toBe('list_issues');
    expect(index.search('delet', 3)[0]?.name).toBe('delete_file');
    expect(index.search('repositroy', 3)[0]?.name).toBe('list_issues');
    expect(index.search('erase', 3)[0]?.name).toBe('delete_file');
    expect(index.search('email', 3)[0]?.name).toBe('send_mail');
    expect(index.search('path', 3)[0]?.name).toBe('delete_file');
  });

  it('ranks a name match above a description match, and finds nothing for words it does not know or stop words', () => {
    const two = new ToolIndex([
      { name: 'get_time', description: 'The time, whatever the weather.' },
      { name: 'get_weather', description: 'Rain and sun at a place.' },
    ]);
    expect(two.search('weather', 3).map((h) => h.name)).toEqual(['get_weather', 'get_time']);
    expect(index.search('zebra', 3)).toEqual([]);
    expect(index.search('the of a', 3)).toEqual([]);
  });

  it('indexes the first 4000 characters of a description', () => {
    const long = new ToolIndex([{ name: 'x', description: `${'word '.repeat(700)}early ${'pad '.repeat(1000)}late` }]);
    expect(long.search('early', 1)).toHaveLength(1);
    expect(long.search('late', 1)).toEqual([]);
  });

  it('searches a word said many times once, and only the first 32 distinct words', () => {
    expect(index.search(Array(200).fill('delete').join(' '), 3)).toEqual(index.search('delete', 3));
    const padding = Array.from({ length: 32 }, (_, i) => `zz${i}`).join(' ');
    expect(index.search(`${padding} delete`, 3)).toEqual([]);
    expect(index.search(`delete ${padding}`, 3)[0]?.name).toBe('delete_file');
  });
});
