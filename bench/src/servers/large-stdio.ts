// A stdio MCP server of the 2025 era for the large-message case, written on the bare protocol (no SDK) so that what it
// costs to build a 50 MB answer or read a 50 MB request is not in the way: `large` answers `bytes` bytes of text,
// `size` tells how long its `text` argument was, `ping` answers at once.
// Usage: node dist/servers/large-stdio.js
import { createInterface } from 'node:readline';

const TOOLS = [
  { name: 'large', description: 'A text result of `bytes` bytes', inputSchema: { type: 'object', properties: { bytes: { type: 'number' } } } },
  { name: 'size', description: 'The length of `text`', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } },
  { name: 'ping', description: 'pong', inputSchema: { type: 'object' } },
];

const send = (message: unknown): void => void process.stdout.write(`${JSON.stringify(message)}\n`); // lint-allow: this server is its own stdio transport
const text = (id: unknown, value: string): void => send({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: value }] } });

const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
lines.on('line', (line) => {
  const message = JSON.parse(line) as { id?: unknown; method?: string; params?: Record<string, unknown> };
  if (message.id === undefined || message.method === undefined) return;
  const { id, method, params = {} } = message;
  if (method === 'initialize') {
    send({
      jsonrpc: '2.0',
      id,
      result: { protocolVersion: params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'large', version: '1.0.0' } },
    });
  } else if (method === 'tools/list') send({ jsonrpc: '2.0', id, result: { tools: TOOLS } });
  else if (method === 'tools/call') {
    const args = (params.arguments ?? {}) as Record<string, unknown>;
    if (params.name === 'large') {
      // The answer's text is written as it is made, never held as one string.
      process.stdout.write(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"content":[{"type":"text","text":"`); // lint-allow: this server is its own stdio transport
      process.stdout.write(Buffer.alloc(Number(args.bytes), 'x')); // lint-allow: this server is its own stdio transport
      process.stdout.write('"}]}}\n'); // lint-allow: this server is its own stdio transport
    } else if (params.name === 'size') text(id, String(typeof args.text === 'string' ? args.text.length : -1));
    else text(id, 'pong');
  } else send({ jsonrpc: '2.0', id, error: { code: -32601, message: `no ${method}` } });
});
lines.once('close', () => process.exit(0));
