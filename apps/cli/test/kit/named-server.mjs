#!/usr/bin/env node
// A small stdio MCP server for process tests: `named-server.mjs <name> [extra]`
// offers <name>_echo and <name>_slow (answers after `ms`), and <name>_extra
// when a second word is given, so a test can tell upstreams and versions apart.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import * as z from 'zod';

const [name = 'named', extra] = process.argv.slice(2);
const server = new McpServer({ name, version: '1.0.0' });
server.registerTool(`${name}_echo`, { description: 'Says who answered.', inputSchema: { text: z.string().optional() } }, ({ text }) => ({
  content: [{ type: 'text', text: `${name}(${process.pid}): ${text ?? ''}` }],
}));
server.registerTool(`${name}_slow`, { description: 'Answers after ms milliseconds.', inputSchema: { ms: z.number() } }, async ({ ms }) => {
  await new Promise((r) => setTimeout(r, ms));
  return { content: [{ type: 'text', text: `${name} slept ${ms}` }] };
});
if (extra !== undefined)
  server.registerTool(`${name}_extra`, { description: 'Only in the second version.' }, () => ({ content: [{ type: 'text', text: extra }] }));
await server.connect(new StdioServerTransport());
