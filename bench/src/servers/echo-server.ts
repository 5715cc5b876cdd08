import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError, type Tool } from '@modelcontextprotocol/sdk/types.js';

/**
 * The upstream every target serves: one `echo` tool that answers with the
 * `text` it was given, plus `extraTools` more (`tool_0` …) that do the same,
 * for the aggregation case. Built on the SDK's low-level `Server`, with
 * plain JSON schemas: the less the upstream does, the more the figures say
 * about what sits in front of it.
 */
export function createEchoServer(extraTools: number): Server {
  const tools: Tool[] = echoTools(extraTools);
  const names = new Set(tools.map((t) => t.name));
  // Its list never changes, so promising to announce changes costs nothing; servers built on
  // the SDK's McpServer declare the same. A proxy may then keep the list instead of asking each time.
  const server = new Server({ name: 'bench-echo', version: '1.0.0' }, { capabilities: { tools: { listChanged: true } } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools }));
  server.setRequestHandler(CallToolRequestSchema, (request) => {
    if (!names.has(request.params.name)) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
    const text = request.params.arguments?.text;
    return { content: [{ type: 'text', text: typeof text === 'string' ? text : '' }] };
  });
  return server;
}

/** One tool of the echo server, in plain JSON. */
export interface EchoTool {
  name: string;
  description: string;
  inputSchema: { type: 'object'; properties: { text: { type: string } }; required: string[] };
}

/**
 * The tool list of the echo server, as plain JSON (no SDK types), so that the
 * legacy server here and the 2026-07-28 one in echo-modern.ts offer the same.
 */
export function echoTools(extraTools: number): EchoTool[] {
  const input = { type: 'object' as const, properties: { text: { type: 'string' } }, required: ['text'] };
  const tools: EchoTool[] = [{ name: 'echo', description: 'Answers with the text it was given.', inputSchema: input }];
  for (let i = 0; i < extraTools; i++) {
    tools.push({ name: `tool_${i}`, description: `Extra tool number ${i}: echoes too.`, inputSchema: input });
  }
  return tools;
}

/** `--tools N` from argv: how many extra tools to offer (default 0). */
export function extraToolsFromArgv(argv: string[]): number {
  const i = argv.indexOf('--tools');
  const n = i >= 0 ? Number(argv[i + 1]) : 0;
  if (!Number.isInteger(n) || n < 0) throw new Error(`--tools takes a whole number, not ${String(argv[i + 1])}`);
  return n;
}
