import { afterEach, describe, expect, it } from 'vitest';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createProxy, silentLogger, type Middleware, type Proxy } from '@mcproxy/core';
import { addGuard } from '@mcproxy/names';
import { memoryClient, memoryUpstream } from '@mcproxy/testing';
import rename from './index.js';

let proxy: Proxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

/**
 * Stands in for mw-filter before rename with `tools: { deny: ['read_file'] }`:
 * it leaves its deny rule on the session, as the filter does (core's guards).
 */
const denyReadFile: Middleware = async function denyReadFile(ctx, next) {
  addGuard(ctx.session, (kind, value) => kind === 'tools' && value === 'read_file');
  return next();
};

describe('rename: deny wins under a new name', () => {
  it('answers a call by the new name of a denied tool as missing, and leaves it out of the list', async () => {
    const ran: string[] = [];
    const up = memoryUpstream('up', () => {
      const s = new McpServer({ name: 'up', version: '1' });
      for (const name of ['read_file', 'cat']) {
        s.registerTool(name, {}, async () => {
          ran.push(name);
          return { content: [{ type: 'text', text: name }] };
        });
      }
      return s;
    });
    const mw = await rename({ tools: { read_file: 'read', cat: 'show' } }, { log: silentLogger });
    proxy = createProxy({ upstreams: [up], middleware: [denyReadFile, mw] });
    const client = await memoryClient(proxy);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['show']);
    await expect(client.callTool({ name: 'read' })).rejects.toThrow(/Tool read not found/);
    expect(ran).toEqual([]);
    await client.callTool({ name: 'show' });
    expect(ran).toEqual(['cat']);
  });
});
