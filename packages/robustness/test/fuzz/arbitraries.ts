import fc from 'fast-check';

/** Targets that broke, or could break, URL parsing and routing (finding 1 among them). */
const NASTY_TARGETS = [
  '//a:99999/',
  '//a:99999/sse',
  'http://a:99999/sse',
  '*',
  '//',
  '///',
  '/%',
  '/%zz',
  '/sse?%',
  '/sse/..%2f..',
  '/messages?sessionId=%ZZ',
  '/messages?sessionId=',
  '/messages?sessionId[]=1',
  '/mcp/../mcp',
  '/mcp?x=%00',
  '//[::1/',
  'http://[::1',
  '/\u00ff',
  '/mcp#frag',
  `/${'a'.repeat(9000)}`,
  `/mcp?${'q=1&'.repeat(2000)}`,
  'mcp',
  '',
  'http://127.0.0.1:1/mcp',
  '//user:pass@host:0/',
];

const TARGET_CHARS = fc.constantFrom(..."abcAZ09-._~:/?#[]@!$&'()*+,;=%\u00e9\u0000\t".split(''));

/** Request targets: the proxy's own paths (often), known-bad shapes, and random strings. */
export function requestTarget(paths: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...paths) },
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...paths), fc.string({ unit: TARGET_CHARS, maxLength: 40 })).map(([p, s]) => p + s) },
    { weight: 3, arbitrary: fc.constantFrom(...NASTY_TARGETS) },
    { weight: 1, arbitrary: fc.string({ unit: TARGET_CHARS, maxLength: 60 }) },
    { weight: 1, arbitrary: fc.webUrl({ withQueryParameters: true }).map((u) => u.replace(/^https?:/, '')) },
  );
}

const TOKEN = fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABC-_0123456789!#$%&'*+.^`|~".split('')), minLength: 1, maxLength: 20 });
const VALUE = fc.oneof(
  fc.string({ maxLength: 60 }).map((s) => s.replace(/[\r\n]/g, '')),
  fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 60 }),
  fc.constant('x'.repeat(20_000)),
);

export interface RequestParts {
  method: string;
  target: string;
  headers: Array<[string, string]>;
  body: Buffer;
}

/** One request, mostly well-formed enough to reach the proxy's own code, sometimes not. */
export function httpRequest(options: { paths: string[]; host: string; sessionIds: () => string[]; bodies: fc.Arbitrary<Buffer> }): fc.Arbitrary<RequestParts> {
  const { paths, host, bodies } = options;
  const header = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.tuple(
        fc.constantFrom('Content-Type'),
        fc.constantFrom('application/json', 'text/plain', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x', ''),
      ),
    },
    {
      weight: 3,
      arbitrary: fc.tuple(
        fc.constantFrom('Accept'),
        fc.constantFrom('application/json, text/event-stream', 'text/event-stream', 'application/json', '*/*', ''),
      ),
    },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('Mcp-Session-Id', 'mcp-session-id'), fc.oneof(fc.constant('__live__'), fc.uuid(), VALUE)) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.constantFrom('MCP-Protocol-Version'), fc.constantFrom('2025-06-18', '2025-03-26', '2024-11-05', '2025-11-25', '1999-01-01', 'x')),
    },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('Last-Event-ID'), VALUE) },
    {
      weight: 1,
      arbitrary: fc.tuple(
        fc.constantFrom('Mcproxy-Hops'),
        fc.oneof(
          VALUE,
          fc.array(fc.string(), { maxLength: 5000 }).map((a) => JSON.stringify(a)),
        ),
      ),
    },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('Origin'), fc.constantFrom('http://evil.example', 'null', `http://${host}`, '')) },
    { weight: 2, arbitrary: fc.tuple(TOKEN, VALUE) },
  );
  return fc
    .record({
      method: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom('POST', 'GET', 'DELETE') },
        { weight: 1, arbitrary: fc.constantFrom('PUT', 'OPTIONS', 'HEAD', 'PATCH', 'CONNECT', 'TRACE', 'BREW', 'G E T') },
      ),
      target: requestTarget(paths),
      hostHeader: fc.oneof(
        { weight: 5, arbitrary: fc.constant(host) },
        { weight: 1, arbitrary: fc.constantFrom('evil.example', '', 'localhost', '127.0.0.1:1', '[::1]') },
      ),
      headers: fc.array(header, { maxLength: 8 }),
      body: bodies,
    })
    .map(({ method, target, hostHeader, headers, body }) => {
      const live = options.sessionIds();
      const withSession = headers.map(([k, v]): [string, string] => [k, v === '__live__' ? (live[v.length % Math.max(1, live.length)] ?? 'none') : v]);
      return { method, target, headers: [['Host', hostHeader], ...withSession], body };
    });
}

/** The bytes on the wire; the body always matches its Content-Length, so no request is left waiting for more. */
export function serialize(r: RequestParts): Buffer {
  const lines = [`${r.method} ${r.target} HTTP/1.1`, ...r.headers.map(([k, v]) => `${k}: ${v}`)];
  if (!r.headers.some(([k]) => /^(content-length|transfer-encoding)$/i.test(k))) lines.push(`Content-Length: ${r.body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), r.body]);
}

const METHODS = [
  'initialize',
  'tools/list',
  'tools/call',
  'ping',
  'resources/list',
  'resources/read',
  'prompts/get',
  'logging/setLevel',
  'notifications/initialized',
  'notifications/cancelled',
  'notifications/progress',
  'completion/complete',
  'x/unknown',
  '',
];

/** JSON-RPC-shaped values: right and wrong ids, methods, params, batches. */
export const jsonRpcish: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record(
      {
        jsonrpc: fc.oneof({ weight: 5, arbitrary: fc.constant('2.0') }, { weight: 1, arbitrary: fc.constantFrom('1.0', 2, null) }),
        id: fc.oneof(fc.integer(), fc.constant(0), fc.string({ maxLength: 10 }), fc.constant(null), fc.double(), fc.object({ maxDepth: 1 })),
        method: fc.oneof(
          { weight: 5, arbitrary: fc.constantFrom(...METHODS) },
          { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
          { weight: 1, arbitrary: fc.integer() },
        ),
        params: fc.oneof(
          fc.constant(undefined),
          fc.record({ name: fc.constantFrom('echo', 'pid', 'nope', ''), arguments: fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 })) }),
          fc.record({
            _meta: fc.record(
              {
                progressToken: fc.oneof(fc.integer(), fc.string()),
                'mcproxy/hops': fc.oneof(fc.array(fc.string({ maxLength: 8 }), { maxLength: 3000 }), fc.jsonValue({ maxDepth: 1 })),
              },
              { requiredKeys: [] },
            ),
          }),
          fc.jsonValue({ maxDepth: 3 }),
        ),
      },
      { requiredKeys: ['jsonrpc'] },
    ),
  },
  { weight: 1, arbitrary: fc.array(fc.record({ jsonrpc: fc.constant('2.0'), id: fc.nat(), method: fc.constantFrom(...METHODS) }), { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
);

/** Bodies: JSON-RPC-ish JSON, random JSON text, random bytes, nothing. */
export const bodies: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 5, arbitrary: jsonRpcish.map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
);
