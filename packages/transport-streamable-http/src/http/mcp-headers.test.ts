import { describe, expect, it } from 'vitest';
import { encodeHeaderValue, headerAnnotationsOf, mirroredHeaders, standardHeaders } from './mcp-headers.js';

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
