// The hot path's features at once (issue 24): API keys, a rate limit per principal, several
// sessions of two principals calling concurrently, a cancellation, and large messages,
// through the mcproxy program to one stdio server.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import { cliScaffold } from './kit/cli-scaffold.js';

const cli = cliScaffold('mcproxy-together-');
afterEach(() => cli.cleanup());

const MIB = 1024 * 1024;
const A_KEY = 'alice-key-0123456789abcdef';
const B_KEY = 'bob-key-0123456789abcdef00';

/** A stdio server on the bare protocol: `slow` never answers (until cancelled), `stats` says how many are pending and how many were cancelled. */
const SERVER = `
import { createInterface } from 'node:readline';
const send = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
const slow = new Set();
let cancelled = 0;
const tools = ['slow', 'stats', 'echo', 'big', 'size'].map((name) => ({ name, inputSchema: { type: 'object' } }));
createInterface({ input: process.stdin }).on('line', (line) => {
  const { id, method, params = {} } = JSON.parse(line);
  if (method === 'notifications/cancelled') {
    if (slow.delete(params.requestId)) cancelled++;
    return;
  }
  if (id === undefined) return;
  if (method === 'initialize') return send({ jsonrpc: '2.0', id, result: { protocolVersion: params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'together', version: '1' } } });
  if (method === 'tools/list') return send({ jsonrpc: '2.0', id, result: { tools } });
  const args = params.arguments ?? {};
  if (params.name === 'slow') return void slow.add(id);
  const text =
    params.name === 'stats' ? JSON.stringify({ pending: slow.size, cancelled })
    : params.name === 'big' ? 'g'.repeat(args.bytes)
    : params.name === 'size' ? String(args.text.length)
    : String(args.text);
  send({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text }] } });
});
`;

/** Asks until `check` holds, or fails after `ms`. */
async function asksUntil(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`waited ${ms} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const textOf = (result: unknown): string => (result as { content: Array<{ text: string }> }).content[0]?.text ?? '';
const sessionOf = (client: Client): string => (client.transport as StreamableHTTPClientTransport).sessionId ?? '';

describe('the hot path with its features at once', () => {
  it('keeps principals, limits, cancellation and 8 MiB messages apart across concurrent sessions', async () => {
    const file = await cli.pipelineFile('placeholder');
    const server = join(cli.dir as string, 'server.mjs');
    await writeFile(server, SERVER);
    await writeFile(
      file,
      `serve: { http: { port: 0 } }
upstreams:
  local: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(server)}] }
limits: { clientMessageBytes: ${32 * MIB} }
auth:
  apiKeys:
    - { id: alice, key: "\${A_KEY}" }
    - { id: bob, key: "\${B_KEY}" }
pipeline:
  - use: rate-limit
    with: { tools: [{ match: echo, rate: 5, per: minute }] }
`,
    );
    const { url } = await cli.serve(file, { A_KEY, B_KEY });
    const [a1, a2, b] = await Promise.all([
      cli.clientWith(url, { authorization: `Bearer ${A_KEY}` }),
      cli.clientWith(url, { authorization: `Bearer ${A_KEY}` }),
      cli.clientWith(url, { 'x-api-key': B_KEY }),
    ]);
    const stats = async (): Promise<{ pending: number; cancelled: number }> => JSON.parse(textOf(await a1.callTool({ name: 'stats', arguments: {} })));

    // Alice starts a call that will hang, and is cancelled below.
    const stop = new AbortController();
    const hanging = a1.callTool({ name: 'slow', arguments: {} }, undefined, { signal: stop.signal, timeout: 60_000 });
    const hangingSettled = hanging.then(
      () => 'answered',
      (err: unknown) => (err instanceof Error ? err.message : String(err)),
    );
    await asksUntil(async () => (await stats()).pending === 1, 'the slow call to reach the server');

    // Meanwhile, at once: Alice's other session moves 8 MiB each way; Bob spends his echo budget and more; Alice's own budget is hers.
    const bytes = 8 * MIB;
    const [big, sized, bobEchoes, aliceEchoes] = await Promise.all([
      a2.callTool({ name: 'big', arguments: { bytes } }, undefined, { timeout: 60_000 }),
      a2.callTool({ name: 'size', arguments: { text: 's'.repeat(bytes) } }, undefined, { timeout: 60_000 }),
      Promise.allSettled(Array.from({ length: 8 }, (_, i) => b.callTool({ name: 'echo', arguments: { text: `bob ${i}` } }))),
      Promise.all(Array.from({ length: 3 }, (_, i) => a1.callTool({ name: 'echo', arguments: { text: `alice ${i}` } }))),
    ]);
    expect(textOf(big).length).toBe(bytes);
    expect(textOf(big).startsWith('gggg')).toBe(true);
    expect(textOf(sized)).toBe(String(bytes));
    const bobAnswered = bobEchoes.flatMap((r) => (r.status === 'fulfilled' ? [textOf(r.value)] : []));
    expect(bobAnswered).toHaveLength(5);
    expect(bobAnswered.every((t) => t.startsWith('bob '))).toBe(true);
    const bobRefused = bobEchoes.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    expect(bobRefused).toHaveLength(3);
    expect(bobRefused.every((why) => why.includes('-32018') && why.includes('rate limit'))).toBe(true);
    expect(aliceEchoes.map(textOf).sort()).toEqual(['alice 0', 'alice 1', 'alice 2']);

    // The cancellation reaches the server as its own request id, and the hanging call ends for the client.
    stop.abort(new Error('the user gave up'));
    expect(await hangingSettled).toMatch(/gave up|abort/i);
    await asksUntil(async () => {
      const now = await stats();
      return now.pending === 0 && now.cancelled === 1;
    }, 'the server to hear the cancellation');

    // A session belongs to whoever opened it; no key is refused before a large body is kept.
    const asBob = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-api-key': B_KEY, 'mcp-session-id': sessionOf(a1) },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x' } } }),
    });
    expect(asBob.status).toBe(404);
    const noKey = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'size', arguments: { text: 'n'.repeat(5 * MIB) } } }),
    });
    expect(noKey.status).toBe(401);

    // And the sessions still work after all of it.
    expect(textOf(await a1.callTool({ name: 'echo', arguments: { text: 'still here' } }))).toBe('still here');
    expect(textOf(await a2.callTool({ name: 'size', arguments: { text: 'abc' } }))).toBe('3');
  }, 120_000);
});
