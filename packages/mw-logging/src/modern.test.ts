import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createChannelPair, createProxy, META, MODERN_VERSION, silentLogger, type Message, type Proxy, type UpstreamSpec } from '@mcproxy/core';
import { memoryClient, memoryUpstream } from '@mcproxy/testing';
import logging from './index.js';

let proxy: Proxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

const SECRET = 'do-not-log-this-machine-id';
type Line = Record<string, unknown>;

/** A 2026-07-28 upstream pinned as such (never probed) that answers every request with an empty tool list. */
const modern = {
  name: 'up',
  mode: 'shared' as const,
  protocol: MODERN_VERSION,
  async connect() {
    const [ours, theirs] = createChannelPair();
    theirs.onmessage = (m) => {
      if ('id' in m && 'method' in m) void theirs.send({ jsonrpc: '2.0', id: m.id, result: { tools: [] } });
    };
    await theirs.start();
    return ours;
  },
};

/** A proxy that logs with payloads to a fresh file; `line` waits for the first line `match` picks. */
async function setup(upstream: UpstreamSpec = modern) {
  const file = join(mkdtempSync(join(tmpdir(), 'mw-logging-')), 'traffic.log');
  proxy = createProxy({ upstreams: [upstream], middleware: [await logging({ destination: file, payloads: true }, { log: silentLogger })] });
  const lines = (): Line[] =>
    (existsSync(file) ? readFileSync(file, 'utf8') : '')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Line);
  const line = (match: (l: Line) => boolean): Promise<Line> =>
    vi.waitFor(() => {
      const found = lines().find(match);
      if (found === undefined) throw new Error('no such line yet');
      return found;
    });
  return { file, line };
}

describe('logging the era of each request', () => {
  it('writes era, protocol version and client name/version of a modern request, and nothing else of its clientInfo', async () => {
    const { file, line } = await setup();
    const [ours, theirs] = createChannelPair();
    await proxy!.accept(ours, undefined, { era: 'modern' });
    const answered = new Promise<Message>((resolve) => {
      theirs.onmessage = resolve;
    });
    await theirs.start();
    await theirs.send({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/list',
      params: {
        _meta: {
          [META.protocolVersion]: MODERN_VERSION,
          [META.clientCapabilities]: {},
          [META.clientInfo]: { name: 'tester', version: '9.1', description: SECRET },
        },
      },
    });
    await answered;
    const request = await line((l) => l.kind === 'request' && l.method === 'tools/list');
    expect(request).toMatchObject({ era: 'modern', protocolVersion: MODERN_VERSION, client: 'tester/9.1' });
    const response = await line((l) => l.kind === 'response' && l.method === 'tools/list');
    expect(response).toMatchObject({ era: 'modern', protocolVersion: MODERN_VERSION });
    expect(readFileSync(file, 'utf8')).not.toContain(SECRET);
  });

  it('writes the era and version a legacy session initialized with', async () => {
    const { line } = await setup(memoryUpstream('up', () => new McpServer({ name: 'up', version: '1' })));
    const client = await memoryClient(proxy!);
    await client.ping();
    expect(await line((l) => l.kind === 'request' && l.method === 'ping')).toMatchObject({
      era: 'legacy',
      protocolVersion: expect.stringMatching(/^20\d\d-/),
      client: 'memory-client/1.0.0',
    });
  });
});
