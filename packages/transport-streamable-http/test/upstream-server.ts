import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CreateMessageResultSchema } from '@modelcontextprotocol/sdk/types.js';

export interface UpstreamHooks {
  /** Awaited by `ask` before it asks the client: lets a test hold calls until several are in flight. */
  beforeAsk?: () => Promise<void>;
  /** Awaited by `wait` before it answers. */
  gate?: () => Promise<void>;
}

const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });

/**
 * The MCP server behind the proxy in these tests: a real SDK McpServer with
 * one tool per behaviour under test.
 */
export function createUpstreamServer(hooks: UpstreamHooks = {}): McpServer {
  const server = new McpServer({ name: 'upstream', version: '1.0.0' }, { capabilities: { tools: { listChanged: true }, logging: {} } });
  server.registerTool('hello', { description: 'answers at once' }, async () => text('hello from upstream'));
  server.registerTool('count', { description: 'three progress notifications, then the answer' }, async (extra) => {
    const progressToken = extra._meta?.progressToken;
    for (let progress = 1; progress <= 3; progress++) {
      if (progressToken !== undefined) {
        await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress, total: 3 } });
      }
    }
    return text('counted');
  });
  server.registerTool('ask', { description: 'asks the client to sample, answers with what it said' }, async (extra) => {
    await hooks.beforeAsk?.();
    const answer = await extra.sendRequest(
      {
        method: 'sampling/createMessage',
        params: { messages: [{ role: 'user', content: { type: 'text', text: 'who are you?' } }], maxTokens: 10 },
      },
      CreateMessageResultSchema,
    );
    return text(`sampled: ${answer.content.type === 'text' ? answer.content.text : '?'}`);
  });
  server.registerTool('wait', { description: 'answers when the test opens the gate' }, async () => {
    await hooks.gate?.();
    return text('waited');
  });
  return server;
}
