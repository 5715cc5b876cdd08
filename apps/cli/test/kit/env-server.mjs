#!/usr/bin/env node
// A stdio MCP server for process tests: its one tool, `env`, answers the value
// of the variable it is asked for as the server sees it, or "(unset)".
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import * as z from 'zod';

const server = new McpServer({ name: 'env-server', version: '1.0.0' });
server.registerTool('env', { description: 'One variable of this process.', inputSchema: { name: z.string() } }, ({ name }) => ({
  content: [{ type: 'text', text: process.env[name] ?? '(unset)' }],
}));
await server.connect(new StdioServerTransport());
