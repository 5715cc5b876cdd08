#!/usr/bin/env node
// A small stdio MCP server that resolves file:// URIs as file servers do:
// percent-decoded, then `.` and `..` resolved (path.posix.normalize). It lists
// file:///shared/readme and file:///alice/secret and offers the template
// file:///{+path}; it also offers a tool `deploy` and counts the client
// notifications it hears (tool `heard`), for the policy tests.
import { posix } from 'node:path';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

const FILES = { '/shared/readme': 'shared readme', '/alice/secret': 'ALICE-SECRET' };
const read = (href) => {
  const path = posix.normalize(decodeURIComponent(href.replace(/^file:\/\//, '')));
  const text = FILES[path];
  if (text === undefined) throw new Error(`no such file: ${path}`);
  return { contents: [{ uri: href, mimeType: 'text/plain', text }] };
};

const server = new McpServer({ name: 'files', version: '1.0.0' });
for (const path of Object.keys(FILES)) server.registerResource(path, `file://${path}`, {}, (uri) => read(uri.href));
server.registerResource('file', new ResourceTemplate('file:///{+path}', { list: undefined }), {}, (uri) => read(uri.href));
server.registerTool('deploy', { description: 'Deploys.' }, () => ({ content: [{ type: 'text', text: 'deployed' }] }));
let heard = 0;
server.registerTool('heard', { description: 'How many client notifications this server heard.' }, () => ({ content: [{ type: 'text', text: String(heard) }] }));
const transport = new StdioServerTransport();
await server.connect(transport);
// Counted after the SDK's own handling: every notification that reaches this process.
const onmessage = transport.onmessage;
transport.onmessage = (message, extra) => {
  if (!('id' in message) && typeof message.method === 'string' && message.method.startsWith('notifications/')) heard += 1;
  onmessage?.(message, extra);
};
