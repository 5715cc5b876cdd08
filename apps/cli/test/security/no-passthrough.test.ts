import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { postModern, textOf } from '@mcproxy/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { cliScaffold } from '../kit/cli-scaffold.js';

// Issue 26, item 6: what a client presented to mcproxy (its Authorization, its X-API-Key, any
// token-shaped header) never reaches an upstream, whatever kind: a child process (its environment,
// argv and messages), streamable HTTP in both eras, and the legacy HTTP+SSE transport.

const cli = cliScaffold('mcproxy-no-passthrough-');
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await cli.cleanup();
  await Promise.allSettled(closers.splice(0).map((close) => close()));
});

const ALICE = 'alice-key-4f1c9a7e2b6d8035';
const BOB = 'bob-key-9e3d7c1a5f2b4860';
const TOKENISH = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLW9mLWFsaWNl';
const SECRETS = [ALICE, BOB, TOKENISH];
const ECHO = { name: 'echo', description: 'Echoes its arguments.', inputSchema: { type: 'object' } };

/** Everything one upstream request carried, as the upstream saw it. */
interface Seen {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const resultFor = (method: string, modern: boolean): Record<string, unknown> => {
  const complete = modern ? { resultType: 'complete' } : {};
  if (method === 'initialize') return { protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'rec', version: '1' } };
  if (method === 'server/discover') return { ...complete, supportedVersions: ['2026-07-28'], capabilities: { tools: {} }, ttlMs: 1000, cacheScope: 'public' };
  if (method === 'tools/list') return { ...complete, tools: [ECHO] };
  if (method === 'tools/call') return { ...complete, content: [{ type: 'text', text: 'echoed' }] };
  return complete;
};

/** One server on 127.0.0.1 port 0 that records every request: /mcp (2025 streamable HTTP), /modern (2026-07-28), /sse + /messages (HTTP+SSE). */
async function recordingUpstream() {
  const seen: Seen[] = [];
  const streams = new Map<string, ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ path: url.pathname, headers: req.headers, body });
      const message = body === '' ? undefined : (JSON.parse(body) as { id?: number | string; method?: string });
      const answer =
        message?.id === undefined || message.method === undefined
          ? undefined
          : { jsonrpc: '2.0', id: message.id, result: resultFor(message.method, url.pathname === '/modern') };
      if (url.pathname === '/sse' && req.method === 'GET') {
        const id = String(streams.size + 1);
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`event: endpoint\ndata: /messages?s=${id}\n\n`);
        streams.set(id, res);
        return;
      }
      if (url.pathname === '/messages') {
        res.writeHead(202).end();
        if (answer !== undefined) streams.get(url.searchParams.get('s') ?? '')?.write(`event: message\ndata: ${JSON.stringify(answer)}\n\n`);
        return;
      }
      if (req.method !== 'POST' || (url.pathname !== '/mcp' && url.pathname !== '/modern'))
        return void res.writeHead(req.method === 'DELETE' ? 200 : 405).end();
      if (answer === undefined) return void res.writeHead(202).end();
      res
        .writeHead(200, { 'content-type': 'application/json', ...(message?.method === 'initialize' ? { 'mcp-session-id': 'up-1' } : {}) })
        .end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/** A child that writes its environment, argv and every line it reads to `record`, and answers as an MCP server. */
const RECORDER = `
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
const record = process.argv[2];
appendFileSync(record, JSON.stringify({ env: process.env, argv: process.argv }) + '\\n');
createInterface({ input: process.stdin }).on('line', (line) => {
  appendFileSync(record, line + '\\n');
  const m = JSON.parse(line);
  if (m.id === undefined || m.method === undefined) return;
  const result = (${resultFor.toString()})(m.method, false);
  process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: m.id, result }) + '\\n');
});
`;

const leaks = (text: string): string[] => SECRETS.filter((s) => text.includes(s));

describe('the credentials a client presents never reach an upstream', () => {
  it('for a child process, streamable HTTP (2025 and 2026-07-28) and HTTP+SSE upstreams', async () => {
    const up = await recordingUpstream();
    const file = await cli.pipelineFile('placeholder');
    const dir = cli.dir!;
    const script = join(dir, 'recorder.mjs');
    const record = join(dir, 'child.jsonl');
    await writeFile(script, `const ECHO = ${JSON.stringify(ECHO)};\n${RECORDER}`);
    await writeFile(record, '');
    await writeFile(
      file,
      `serve: { http: { port: 0 } }
auth:
  apiKeys:
    - { id: alice, key: "${ALICE}" }
    - { id: bob, key: "${BOB}" }
upstreams:
  streamable: { url: "${up.origin}/mcp", transport: streamable-http }
routes:
  /modern:
    upstreams: { modern: { url: "${up.origin}/modern", protocol: "2026-07-28" } }
  /sse:
    upstreams: { old: { url: "${up.origin}/sse", transport: sse } }
  /stdio:
    upstreams: { child: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(script)}, ${JSON.stringify(record)}], inheritEnv: all } }
`,
    );
    const { url } = await cli.serve(file, {}, 'proxy ready');
    const at = (path: string) => new URL(path, url).toString();
    // Each way a client may present its key, with a token-shaped header of its own beside it.
    const ways: Array<Record<string, string>> = [
      { authorization: `Bearer ${ALICE}`, 'x-forwarded-access-token': TOKENISH },
      { 'x-api-key': BOB, cookie: `session=${TOKENISH}`, 'x-upstream-authorization': `Bearer ${TOKENISH}` },
    ];
    for (const path of ['/mcp', '/modern', '/sse', '/stdio']) {
      for (const headers of ways) {
        const client = await cli.clientWith(at(path), headers);
        expect((await client.listTools()).tools.map((t) => t.name)).toContain('echo');
        expect(textOf(await client.callTool({ name: 'echo', arguments: { x: 1 } }))).toBe('echoed');
        await client.close();
      }
    }
    // 2026-07-28 clients too, on the modern upstream and (bridged) on the 2025-era ones.
    for (const path of ['/modern', '/mcp', '/stdio'])
      for (const headers of ways) {
        const reply = await postModern(at(path), 'tools/call', { name: 'echo', arguments: {} }, { headers });
        expect(JSON.stringify(reply)).toContain('echoed');
      }

    const paths = new Set(up.seen.map((s) => s.path));
    expect([...paths].sort()).toEqual(['/mcp', '/messages', '/modern', '/sse']);
    for (const s of up.seen) {
      expect(s.headers.authorization, `${s.path}: Authorization`).toBeUndefined();
      expect(s.headers['x-api-key'], `${s.path}: X-API-Key`).toBeUndefined();
      expect(s.headers.cookie, `${s.path}: Cookie`).toBeUndefined();
      expect(leaks(JSON.stringify(s)), `${s.path}: headers and body`).toEqual([]);
    }
    const child = await readFile(record, 'utf8');
    expect(child).toContain('"method":"tools/call"');
    expect(leaks(child), "the child's environment, argv and messages").toEqual([]);
  });
});
