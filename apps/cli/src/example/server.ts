import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

/**
 * The built-in example behind `mcproxy --example`: a small server with a
 * tool of each kind a client tends to try first (plain, with progress,
 * failing), a resource, a resource template and a prompt.
 */
export function createExampleServer(): McpServer {
  const server = new McpServer({ name: 'mcproxy-example', version: '1.0.0' }, { capabilities: { logging: {} } });

  server.registerTool(
    'echo',
    {
      title: 'Echo',
      description: 'Returns the text it is given.',
      inputSchema: { text: z.string() },
    },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );

  server.registerTool(
    'add',
    {
      description: 'Adds two numbers.',
      inputSchema: { a: z.number(), b: z.number() },
      outputSchema: { sum: z.number() },
    },
    async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }], structuredContent: { sum: a + b } }),
  );

  server.registerTool(
    'count',
    {
      description: 'Counts to n, reporting progress at each step.',
      inputSchema: { n: z.number().int().min(1).max(100).default(5) },
    },
    async ({ n }, extra) => {
      const token = extra._meta?.progressToken;
      for (let i = 1; i <= n; i++) {
        if (token !== undefined) {
          await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: i, total: n } });
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      return { content: [{ type: 'text', text: `counted to ${n}` }] };
    },
  );

  server.registerTool('fail', { description: 'Always fails, to show how errors look.' }, async () => ({
    isError: true,
    content: [{ type: 'text', text: 'this tool always fails' }],
  }));

  server.registerResource('readme', 'example://readme', { mimeType: 'text/plain', description: 'What this server is.' }, async (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'This is the mcproxy example server, reached through mcproxy.' }],
  }));

  server.registerResource('note', new ResourceTemplate('example://notes/{name}', { list: undefined }), { mimeType: 'text/plain' }, async (uri, { name }) => ({
    contents: [{ uri: uri.href, mimeType: 'text/plain', text: `a note called ${String(name)}` }],
  }));

  server.registerPrompt(
    'greet',
    {
      description: 'A greeting for someone.',
      argsSchema: { name: z.string() },
    },
    ({ name }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `Say hello to ${name}.` } }] }),
  );

  return server;
}
