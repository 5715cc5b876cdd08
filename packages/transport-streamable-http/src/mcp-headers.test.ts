import { describe, expect, it } from 'vitest';
import { recordingLogger } from '@mcproxy/testing';
import { encodeHeaderValue, headerAnnotationsOf, mirroredHeaders, standardHeaders } from './index.js';
import { ToolHeaders } from './mcp-headers-tools.js';

const schema = (properties: Record<string, unknown>, more: Record<string, unknown> = {}) => ({ type: 'object', properties, ...more });

describe('encodeHeaderValue', () => {
  it.each([
    ['us-west1', 'us-west1'],
    ['Hello, 世界', '=?base64?SGVsbG8sIOS4lueVjA==?='],
    [' padded ', '=?base64?IHBhZGRlZCA=?='],
    ['line1\nline2', '=?base64?bGluZTEKbGluZTI=?='],
    ['=?base64?literal?=', '=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?='],
    ['a b\tc', 'a b\tc'],
  ])("encodes %j as the spec's table says", (value, wire) => {
    expect(encodeHeaderValue(value)).toBe(wire);
  });
});

describe('standardHeaders', () => {
  it('names tools and prompts by params.name and resources by params.uri; other methods get Mcp-Method only', () => {
    expect(standardHeaders('tools/call', { name: 'météo' })).toEqual({ 'mcp-method': 'tools/call', 'mcp-name': '=?base64?bcOpdMOpbw==?=' });
    expect(standardHeaders('prompts/get', { name: 'greet' })).toEqual({ 'mcp-method': 'prompts/get', 'mcp-name': 'greet' });
    expect(standardHeaders('resources/read', { uri: 'file:///a b' })).toEqual({ 'mcp-method': 'resources/read', 'mcp-name': 'file:///a b' });
    expect(standardHeaders('tools/list', { name: 'x' })).toEqual({ 'mcp-method': 'tools/list' });
  });
});

describe('headerAnnotationsOf', () => {
  it('finds annotations reached through properties alone, nested ones too', () => {
    const found = headerAnnotationsOf(
      schema({
        region: { type: 'string', 'x-mcp-header': 'Region' },
        opts: { type: 'object', properties: { dry: { type: 'boolean', 'x-mcp-header': 'Dry-Run' } } },
        query: { type: 'string', default: { 'x-mcp-header': 'not an annotation: data' } },
      }),
    );
    expect(found).toEqual({
      params: [
        { header: 'Region', path: ['region'] },
        { header: 'Dry-Run', path: ['opts', 'dry'] },
      ],
    });
  });

  it.each([
    ['an empty name', schema({ a: { type: 'string', 'x-mcp-header': '' } }), /non-empty/],
    ['a name that is not a token', schema({ a: { type: 'string', 'x-mcp-header': 'Re gion' } }), /token/],
    ['a CR LF in the name', schema({ a: { type: 'string', 'x-mcp-header': 'A\r\nB' } }), /token/],
    ['names equal but for case', schema({ a: { type: 'string', 'x-mcp-header': 'Tenant' }, b: { type: 'string', 'x-mcp-header': 'TENANT' } }), /twice/],
    ['a number', schema({ a: { type: 'number', 'x-mcp-header': 'A' } }), /string, integer or boolean/],
    ['an object', schema({ a: { type: 'object', 'x-mcp-header': 'A' } }), /string, integer or boolean/],
    ['a way through items', schema({ a: { type: 'array', items: { type: 'string', 'x-mcp-header': 'A' } } }), /reachable/],
    ['a way through anyOf', schema({}, { anyOf: [schema({ a: { type: 'string', 'x-mcp-header': 'A' } })] }), /reachable/],
    ['a way through $defs', schema({}, { $defs: { d: { type: 'string', 'x-mcp-header': 'A' } } }), /reachable/],
  ])('refuses %s', (_what, input, reason) => {
    const found = headerAnnotationsOf(input);
    expect('invalid' in found && found.invalid).toMatch(reason);
  });
});

describe('mirroredHeaders', () => {
  it('mirrors strings as they are, integers in decimal, booleans in lower case, and leaves out null, absent and non-integers', () => {
    const params = [
      { header: 'Region', path: ['region'] },
      { header: 'N', path: ['n'] },
      { header: 'Flag', path: ['o', 'flag'] },
      { header: 'Gone', path: ['gone'] },
      { header: 'Null', path: ['nothing'] },
      { header: 'Half', path: ['half'] },
    ];
    expect(mirroredHeaders(params, { region: 'Zürich', n: -7, o: { flag: false }, nothing: null, half: 1.5 })).toEqual({
      'mcp-param-region': '=?base64?WsO8cmljaA==?=',
      'mcp-param-n': '-7',
      'mcp-param-flag': 'false',
    });
  });
});

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
