import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createChannelPair, createProxy, silentLogger, type Principal, type Proxy } from '@mcproxy/core';
import { asTransport, memoryUpstream } from '@mcproxy/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import logging, { type LoggingOptions } from './index.js';

let proxies: Proxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  proxies = [];
});

const upstream = (): McpServer => {
  const s = new McpServer({ name: 'up', version: '1.0.0' });
  s.registerTool('hello', {}, async () => ({ content: [{ type: 'text', text: 'hi' }] }));
  s.registerTool('fail', {}, async () => {
    throw new Error('no');
  });
  return s;
};

const alice: Principal = { id: 'alice', kind: 'jwt', scopes: ['mcp:tools'], claims: { sub: 'alice' } };

/** A proxy with two logging entries (traffic and audit, each to its own file) and a client authenticated as `principal`. */
async function setup(audit: Omit<LoggingOptions, 'destination'> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'mw-logging-audit-'));
  const files = { traffic: join(dir, 'traffic.log'), audit: join(dir, 'audit.log') };
  const proxy = createProxy({
    upstreams: [memoryUpstream('up', upstream)],
    middleware: [
      await logging({ destination: files.traffic }, { log: silentLogger }),
      await logging({ ...audit, audit: true, destination: files.audit }, { log: silentLogger }),
    ],
  });
  proxies.push(proxy);
  const [ours, theirs] = createChannelPair();
  await proxy.accept(ours, undefined, { principal: alice });
  const client = new Client({ name: 'auditor', version: '1.0.0' });
  await client.connect(asTransport(theirs));
  const read = (file: string): Array<Record<string, unknown>> =>
    existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l) as Record<string, unknown>)
      : [];
  return { client, traffic: () => read(files.traffic), audit: () => read(files.audit) };
}

describe('principals and the audit preset', () => {
  it('writes one audit line per client request (who, what, outcome, duration) to its own file', async () => {
    const { client, audit, traffic } = await setup();
    await client.callTool({ name: 'hello', arguments: {} });
    await client.callTool({ name: 'fail', arguments: {} });
    await vi.waitFor(() => expect(audit().filter((l) => l.method === 'tools/call')).toHaveLength(2));
    const lines = audit();
    // initialize, tools/call twice; notifications/initialized is not a request.
    expect(lines.map((l) => [l.kind, l.method, l.name ?? null])).toEqual([
      ['audit', 'initialize', null],
      ['audit', 'tools/call', 'hello'],
      ['audit', 'tools/call', 'fail'],
    ]);
    for (const l of lines) {
      expect(l).toMatchObject({ principal: 'alice', auth: 'jwt', outcome: 'ok', direction: 'upstream' });
      expect(typeof l.durationMs).toBe('number');
      expect(l.params).toBeUndefined();
    }
    expect(lines.map((l) => l.isError ?? false)).toEqual([false, false, true]);
    // The traffic log is its own: every message, each naming the principal too.
    await vi.waitFor(() => expect(traffic().length).toBeGreaterThan(lines.length));
    expect(traffic().every((l) => l.principal === 'alice' && l.auth === 'jwt')).toBe(true);
    expect(traffic().some((l) => l.kind === 'notification')).toBe(true);
  });

  it('never writes claims or scopes of the principal, only its id and kind', async () => {
    const { client, audit } = await setup({ payloads: true });
    await client.callTool({ name: 'hello', arguments: {} });
    await vi.waitFor(() => expect(audit().some((l) => l.name === 'hello')).toBe(true));
    const text = JSON.stringify(audit());
    expect(text).not.toContain('mcp:tools');
    expect(text).not.toContain('claims');
    expect(audit().find((l) => l.name === 'hello')?.params).toMatchObject({ name: 'hello' });
  });
});
