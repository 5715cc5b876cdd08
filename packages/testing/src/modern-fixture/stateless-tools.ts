import type { CallToolResult, InputRequiredResult, McpServer } from '@modelcontextprotocol/server';
import { inputRequired } from '@modelcontextprotocol/server';
import * as z from 'zod';

const NO_ARGUMENTS = z.object({});

/** How a trigger tool announces a change: to open listen streams over HTTP, or through the instance on stdio. */
export interface ListChangeAnnouncer {
  toolsChanged(): void;
  promptsChanged(): void;
}

const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });

/**
 * The diagnostic tools the server-stateless scenario calls by name. Without
 * them several of its checks report "not testable" and fail.
 */
export function registerStatelessTools(server: McpServer, announce: ListChangeAnnouncer): void {
  // Needs sampling; called with empty clientCapabilities, the SDK's seam
  // refuses the input request with -32021 (HTTP 400) naming `sampling`.
  server.registerTool(
    'test_missing_capability',
    { description: 'Asks for a sampling round trip, so it needs the sampling client capability', inputSchema: NO_ARGUMENTS },
    (_args, ctx): CallToolResult | InputRequiredResult => {
      if (ctx.mcpReq.inputResponses?.pong !== undefined) return text('sampling answered');
      return inputRequired({
        inputRequests: {
          pong: inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'Say pong' } }], maxTokens: 8 }),
        },
      });
    },
  );

  // The scenario watches this call's response stream for server-to-client
  // requests; a modern server never sends one, so a plain result is the point.
  server.registerTool(
    'test_streaming_elicitation',
    { description: 'Answers with a result only, never a request on the stream', inputSchema: NO_ARGUMENTS },
    () => text('no server-to-client request was sent'),
  );

  // Logs through the request channel, which the SDK gates on _meta logLevel.
  server.registerTool(
    'test_logging_tool',
    { description: 'Logs once; the log reaches the client only when the request set a log level', inputSchema: NO_ARGUMENTS },
    async (_args, ctx) => {
      await ctx.mcpReq.log('info', 'test_logging_tool ran');
      return text('logged (if a log level was requested)');
    },
  );

  server.registerTool('test_trigger_tool_change', { description: 'Announces tools/list_changed', inputSchema: NO_ARGUMENTS }, () => {
    announce.toolsChanged();
    return text('tools list change announced');
  });

  server.registerTool('test_trigger_prompt_change', { description: 'Announces prompts/list_changed', inputSchema: NO_ARGUMENTS }, () => {
    announce.promptsChanged();
    return text('prompts list change announced');
  });
}
