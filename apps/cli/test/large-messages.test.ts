// Large messages through the mcproxy program, between the SDK's own client and server (issue 24, item 2).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runCli, stopRuns, type CliRun } from './kit/cli-process.js';

const MIB = 1024 * 1024;
const runs: CliRun[] = [];
const clients: Client[] = [];
const servers: Server[] = [];
let dir: string | undefined;

afterEach(async () => {
  await stopRuns(runs, clients);
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** The SDK's server over streamable HTTP, stateless, answering on event streams (its default): `big` gives `bytes` of text, `size` measures `text`. */
async function sdkUpstream(): Promise<string> {
  const server = createServer(async (req, res) => {
    const mcp = new McpServer({ name: 'large', version: '1.0.0' });
    mcp.registerTool('big', { inputSchema: { bytes: z.number() } }, async ({ bytes }) => ({ content: [{ type: 'text', text: 'b'.repeat(bytes) }] }));
    mcp.registerTool('size', { inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: 'text', text: String(text.length) }] }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.once('close', () => void transport.close());
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
}

/** A stdio server on the bare protocol (the SDK's stdio server has no size limit either, but writes slowly): `big` and `size` as above. */
const STDIO_SERVER = `
import { createInterface } from 'node:readline';
const send = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
createInterface({ input: process.stdin }).on('line', (line) => {
  const { id, method, params = {} } = JSON.parse(line);
  if (id === undefined) return;
  if (method === 'initialize') return send({ jsonrpc: '2.0', id, result: { protocolVersion: params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'large-stdio', version: '1' } } });
  if (method === 'tools/list') return send({ jsonrpc: '2.0', id, result: { tools: [{ name: 'big', inputSchema: { type: 'object' } }, { name: 'size', inputSchema: { type: 'object' } }] } });
  const args = params.arguments ?? {};
  const text = params.name === 'big' ? 'c'.repeat(args.bytes) : String(args.text.length);
  send({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text }] } });
});
`;

/** mcproxy (the program) with the one upstream `entry` and a 32 MiB client limit, and the SDK's client connected to it. Needs `dir`. */
async function clientThrough(entry: string): Promise<Client> {
  const file = join(dir as string, 'pipeline.yaml');
  await writeFile(file, `serve: { http: { port: 0 } }\nupstreams:\n  ${entry}\nlimits: { clientMessageBytes: ${32 * MIB} }\n`);
  const run = runCli(['--config', file]);
  runs.push(run);
  const line = await run.waitLog((l) => l.msg === 'listening' && typeof l.url === 'string');
  const client = new Client({ name: 'large', version: '1' });
  clients.push(client);
  await client.connect(new StreamableHTTPClientTransport(new URL(line.url as string)));
  return client;
}

describe('large messages through mcproxy', () => {
  it('carries a 12 MiB result and a 12 MiB argument between the SDK client and a stdio server, intact', async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcproxy-large-'));
    const server = join(dir, 'server.mjs');
    await writeFile(server, STDIO_SERVER);
    const client = await clientThrough(`local: { command: "${process.execPath}", args: ["${server}"] }`);

    const bytes = 12 * MIB;
    const big = (await client.callTool({ name: 'big', arguments: { bytes } }, undefined, { timeout: 60_000 })) as { content: Array<{ text: string }> };
    expect(big.content[0]?.text.length).toBe(bytes);
    const sized = (await client.callTool({ name: 'size', arguments: { text: 's'.repeat(bytes) } }, undefined, { timeout: 60_000 })) as {
      content: Array<{ text: string }>;
    };
    expect(sized.content[0]?.text).toBe(String(bytes));
  }, 90_000);

  it('carries a 12 MiB result and a 3.5 MiB argument (the SDK server takes at most 4 MB) between the SDK client and the SDK server, intact', async () => {
    const upstream = await sdkUpstream();
    dir = await mkdtemp(join(tmpdir(), 'mcproxy-large-'));
    const client = await clientThrough(`web: { url: "${upstream}" }`);

    const bytes = 12 * MIB;
    const big = (await client.callTool({ name: 'big', arguments: { bytes } }, undefined, { timeout: 60_000 })) as { content: Array<{ text: string }> };
    expect(big.content[0]?.text.length).toBe(bytes);
    expect(big.content[0]?.text.startsWith('bbbb')).toBe(true);

    const upload = 3.5 * MIB;
    const sized = (await client.callTool({ name: 'size', arguments: { text: 's'.repeat(upload) } }, undefined, { timeout: 60_000 })) as {
      content: Array<{ text: string }>;
    };
    expect(sized.content[0]?.text).toBe(String(upload));

    // Small calls still work after (nothing left half-read on either side).
    const small = (await client.callTool({ name: 'size', arguments: { text: 'abc' } })) as { content: Array<{ text: string }> };
    expect(small.content[0]?.text).toBe('3');
  }, 90_000);
});
