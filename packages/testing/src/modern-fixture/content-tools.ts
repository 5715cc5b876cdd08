import type { CallToolResult, McpServer } from '@modelcontextprotocol/server';
import * as z from 'zod';
import { RED_PIXEL_PNG_BASE64, SILENT_WAV_BASE64 } from '../fixture/media.js';

const NO_ARGUMENTS = z.object({});

const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });

/**
 * The plain content tools of the tools-call-* scenarios: one per content kind,
 * an error, and progress. They are era-neutral: the same results answer a
 * 2025 session and a 2026-07-28 request.
 */
export function registerContentTools(server: McpServer): void {
  server.registerTool('test_simple_text', { description: 'Returns a simple text' }, () => text('This is a simple text response for testing.'));

  server.registerTool('test_image_content', { description: 'Returns a 1x1 PNG' }, () => ({
    content: [{ type: 'image', data: RED_PIXEL_PNG_BASE64, mimeType: 'image/png' }],
  }));

  server.registerTool('test_audio_content', { description: 'Returns a short silent WAV' }, () => ({
    content: [{ type: 'audio', data: SILENT_WAV_BASE64, mimeType: 'audio/wav' }],
  }));

  server.registerTool('test_embedded_resource', { description: 'Returns an embedded text resource' }, () => ({
    content: [
      {
        type: 'resource',
        resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' },
      },
    ],
  }));

  server.registerTool('test_multiple_content_types', { description: 'Returns text, an image and a resource' }, () => ({
    content: [
      { type: 'text', text: 'Multiple content types test:' },
      { type: 'image', data: RED_PIXEL_PNG_BASE64, mimeType: 'image/png' },
      {
        type: 'resource',
        resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: JSON.stringify({ test: 'data', value: 123 }) },
      },
    ],
  }));

  // A tool-level failure is a result with isError, not a JSON-RPC error: the
  // model is meant to read it.
  server.registerTool('test_error_handling', { description: 'Always fails' }, () => ({
    ...text('This tool intentionally returns an error for testing'),
    isError: true,
  }));

  server.registerTool(
    'test_tool_with_progress',
    { description: 'Reports progress 0, 50, 100 when the request carries a progress token', inputSchema: NO_ARGUMENTS },
    async (_args, ctx) => {
      const token = ctx.mcpReq._meta?.progressToken;
      // Progress without a client-supplied token is forbidden by the spec.
      if (token !== undefined) {
        for (const progress of [0, 50, 100]) {
          await ctx.mcpReq.notify({
            method: 'notifications/progress',
            params: { progressToken: token, progress, total: 100, message: `step ${progress}/100` },
          });
        }
      }
      return text(`progress reported for token ${String(token ?? 'none')}`);
    },
  );

  server.registerTool(
    'test_tool_with_logging',
    { description: 'Logs three messages at info (delivered only when the request asked for logs)', inputSchema: NO_ARGUMENTS },
    async (_args, ctx) => {
      for (const message of ['Tool execution started', 'Tool processing data', 'Tool execution completed']) {
        await ctx.mcpReq.log('info', message);
      }
      return text('Tool with logging executed successfully');
    },
  );
}
