// 2026-07-28 requests with every part of them wrong in turn: the envelope, the
// headers that mirror the body, the version, a forged requestState. Each gets an
// HTTP status and, when it carried a readable id, a JSON-RPC answer with that id;
// the process stays up and a well-formed modern request keeps working beside them.
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { rawHttp, type RawAnswer } from '../kit/clients.js';
import { fuzzParams } from './fuzz-settings.js';
import { peakRssMb, startProxy, stopAll } from '../kit/proxy-process.js';

const MODERN_FIXTURE = fileURLToPath(new URL('../../../testing/dist/modern-fixture-server.js', import.meta.url));
const V = '2026-07-28';
const FACE_RSS_MB = 300;

afterEach(stopAll);

const fixture = (): Record<string, unknown> => ({ command: process.execPath, args: [MODERN_FIXTURE, '--stdio'], protocol: V });

const envelope = {
  'io.modelcontextprotocol/protocolVersion': V,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'fuzz', version: '1' },
};

/** Something in the place of a well-formed value. */
const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.boolean(),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
  fc.constantFrom(V, '2025-11-25', 'v999.0.0', '', '=?base64?AAAA?=', 'x'.repeat(5000)),
);

const header = fc
  .oneof(
    fc.constant(undefined),
    fc.string({ maxLength: 60 }),
    fc.constantFrom('tools/call', 'tools/list', V, '=?base64?dGVzdF9zaW1wbGVfdGV4dA==?=', '=?base64?%%%?=', ' test_simple_text '),
  )
  .map((v) => (v === undefined ? undefined : v.replace(/[\r\n\0]/g, '')));

interface ModernCase {
  id: unknown;
  method: string;
  params: Record<string, unknown>;
  headers: Record<string, string | undefined>;
}

/** A modern request, well formed, then broken in zero or more places. */
const modernCase: fc.Arbitrary<ModernCase> = fc
  .record({
    id: fc.oneof(fc.integer({ min: 0, max: 1e6 }), fc.string({ maxLength: 12 }), junk),
    method: fc.constantFrom(
      'tools/call',
      'tools/list',
      'resources/read',
      'prompts/get',
      'server/discover',
      'subscriptions/listen',
      'ping',
      'initialize',
      'nope/x',
    ),
    name: fc.oneof(fc.constantFrom('test_simple_text', 'test_input_required_result_elicitation', 'test_simple_prompt'), fc.string({ maxLength: 30 })),
    meta: fc.record({ version: fc.option(junk), caps: fc.option(junk), info: fc.option(junk), level: fc.option(junk) }, { requiredKeys: [] }),
    requestState: fc.option(fc.oneof(fc.string({ maxLength: 200 }), junk)),
    headerVersion: fc.option(header),
    headerMethod: fc.option(header),
    headerName: fc.option(header),
  })
  .map((c) => {
    const meta: Record<string, unknown> = { ...envelope };
    if ('version' in c.meta) meta['io.modelcontextprotocol/protocolVersion'] = c.meta.version;
    if ('caps' in c.meta) meta['io.modelcontextprotocol/clientCapabilities'] = c.meta.caps;
    if ('info' in c.meta) meta['io.modelcontextprotocol/clientInfo'] = c.meta.info;
    if ('level' in c.meta) meta['io.modelcontextprotocol/logLevel'] = c.meta.level;
    const params: Record<string, unknown> = { _meta: meta };
    if (c.method === 'resources/read') params.uri = c.name;
    else params.name = c.name;
    if (c.requestState !== null) params.requestState = c.requestState;
    const headers = {
      'MCP-Protocol-Version': c.headerVersion === null ? V : c.headerVersion,
      'Mcp-Method': c.headerMethod === null ? c.method : c.headerMethod,
      'Mcp-Name': c.headerName === null ? c.name.replace(/[^\x21-\x7e]/g, '') : c.headerName,
    };
    return { id: c.id, method: c.method, params, headers };
  });

function post(url: URL, c: ModernCase): Promise<RawAnswer> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: c.id, method: c.method, params: c.params });
  const lines = [
    `POST ${url.pathname} HTTP/1.1`,
    `Host: ${url.host}`,
    'Content-Type: application/json',
    'Accept: application/json, text/event-stream',
    'Connection: close',
  ];
  for (const [k, v] of Object.entries(c.headers)) if (v !== undefined) lines.push(`${k}: ${v}`);
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`, '', body);
  return rawHttp(Number(url.port), lines.join('\r\n'));
}

/** A well-formed modern call whose answer must stay right whatever else happens. */
async function witnessCall(url: URL): Promise<string | undefined> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': V,
      'mcp-method': 'tools/call',
      'mcp-name': 'test_simple_text',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 'w', method: 'tools/call', params: { name: 'test_simple_text', arguments: {}, _meta: envelope } }),
  });
  const text = await response.text();
  return /"text":"([^"]*)"/.exec(text)?.[1];
}

describe('fuzz: 2026-07-28 requests on the streamable HTTP face', () => {
  it('answers every malformed modern request with a status and its own id, and a good one keeps working', async () => {
    const proxy = await startProxy({ serve: { http: { port: 0 } }, upstreams: { modern: fixture() }, timeouts: { requestMs: 5000 } });
    const url = new URL(proxy.url!);
    expect(await witnessCall(url)).toBe('This is a simple text response for testing.');
    await fc.assert(
      fc.asyncProperty(modernCase, async (c) => {
        const answer = await post(url, c);
        expect(proxy.alive(), 'mcproxy exited').toBe(true);
        expect(answer.status ?? 0, `no status for ${JSON.stringify(c).slice(0, 300)}`).toBeGreaterThanOrEqual(200);
        // A JSON answer to a request whose id was a valid JSON-RPC id carries that id back.
        const validId = typeof c.id === 'string' || (typeof c.id === 'number' && Number.isInteger(c.id));
        const json = answer.bodyStart.trimStart().startsWith('{') ? answer.bodyStart : undefined;
        if (validId && json !== undefined && answer.status !== 202 && json.length < 2000) {
          expect((JSON.parse(json) as { id?: unknown }).id, `id lost in ${json.slice(0, 200)}`).toEqual(c.id);
        }
      }),
      fuzzParams(),
    );
    expect(await witnessCall(url)).toBe('This is a simple text response for testing.');
    expect(proxy.alive()).toBe(true);
    expect(peakRssMb(proxy.pid)).toBeLessThan(FACE_RSS_MB);
  });

  it('refuses forged requestState behind aggregate with -32602 and never reaches an upstream with it', async () => {
    const proxy = await startProxy({
      serve: { http: { port: 0 } },
      upstreams: { a: fixture(), b: fixture() },
      pipeline: [{ use: 'aggregate', with: { prefix: 'always' } }],
    });
    const url = new URL(proxy.url!);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 300 }), fc.base64String({ maxLength: 300 }), fc.constant('eyJ2IjoxfQ.AAAA')), async (state) => {
        const c: ModernCase = {
          id: 1,
          method: 'tools/call',
          params: { name: 'b__test_input_required_result_elicitation', arguments: {}, requestState: state, inputResponses: {}, _meta: envelope },
          headers: { 'MCP-Protocol-Version': V, 'Mcp-Method': 'tools/call', 'Mcp-Name': 'b__test_input_required_result_elicitation' },
        };
        const answer = await post(url, c);
        expect(proxy.alive()).toBe(true);
        expect(answer.bodyStart, `forged state ${JSON.stringify(state).slice(0, 80)} was not refused`).toContain('-32602');
      }),
      fuzzParams(),
    );
  });
});
