import { describe, expect, it } from 'vitest';
import { recordingLogger } from '@mcproxy/testing';
import { ToolHeaders } from './mcp-headers-tools.js';

const schema = (properties: Record<string, unknown>, more: Record<string, unknown> = {}) => ({ type: 'object', properties, ...more });

describe('ToolHeaders', () => {
  const tool = (name: string, header: unknown) => ({ name, inputSchema: schema({ region: { type: 'string', 'x-mcp-header': header } }) });

  it('drops invalid tools from the list, warns once per tool, and forgets tools when a new full list starts', () => {
    const log = recordingLogger();
    const book = new ToolHeaders(log, 2);
    const result = { tools: [tool('ok', 'Region'), tool('bad', 'Re gion'), { name: 'plain', inputSchema: schema({}) }] };
    expect((book.learn(result, true) as typeof result).tools.map((t) => t.name)).toEqual(['ok', 'plain']);
    book.learn(result, true);
    expect(log.lines.filter((l) => l.level === 'warn').map((l) => (l.obj as { tool: string }).tool)).toEqual(['bad']);
    expect(book.headersFor({ name: 'ok', arguments: { region: 'eu' } })).toEqual({ 'mcp-param-region': 'eu' });
    // A dropped tool may not be called; a valid one may.
    expect(book.refusal({ name: 'bad' })).toMatch(/Re gion|token/);
    expect(book.refusal({ name: 'ok' })).toBeUndefined();
    // A second page adds; a new first page starts over.
    book.learn({ tools: [tool('two', 'Region')] }, false);
    expect(book.size).toBe(2);
    book.learn({ tools: [tool('three', 'Region')] }, true);
    expect(book.headersFor({ name: 'ok', arguments: { region: 'eu' } })).toEqual({});
    expect(book.refusal({ name: 'bad' })).toBeUndefined();
    expect(book.size).toBe(1);
  });

  it('remembers at most its bound of annotated tools, and says so once', () => {
    const log = recordingLogger();
    const book = new ToolHeaders(log, 2);
    book.learn({ tools: [tool('a', 'R'), tool('b', 'R'), tool('c', 'R'), tool('d', 'R')] }, true);
    expect(book.size).toBe(2);
    expect(book.headersFor({ name: 'c', arguments: { region: 'x' } })).toEqual({});
    expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
  });
});
