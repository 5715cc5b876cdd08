import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ListRootsResultSchema } from '@modelcontextprotocol/sdk/types.js';

/**
 * A 2025-era server (SDK 1.x) with the habit that makes sharing an upstream
 * session a leak: its `my_roots` tool asks the client for roots once per
 * session, during the call, and answers from what it kept ever after.
 */
export function createRootsCacheServer(): McpServer {
  const server = new McpServer({ name: 'roots-cache', version: '1.0.0' }, { capabilities: {} });
  let cached: string[] | undefined;
  server.registerTool('my_roots', { description: 'The roots this session gave, asked once.' }, async (extra) => {
    cached ??= (await extra.sendRequest({ method: 'roots/list' }, ListRootsResultSchema)).roots.map((r) => r.uri);
    return { content: [{ type: 'text', text: cached.join(',') }] };
  });
  return server;
}
