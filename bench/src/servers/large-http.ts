// The large-message case's server over streamable HTTP (2025 era, no session id: each POST answered as JSON), on the
// bare protocol like large-stdio.ts: `large` answers `bytes` bytes of text (as JSON, or with `sse` as one event of an
// event stream), built as buffers, never as one string.
// Usage: node dist/servers/large-http.js --port N
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string' } } });
const TOOLS = [{ name: 'large', description: 'A text result of `bytes` bytes', inputSchema: { type: 'object' } }];

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (req.method !== 'POST') return void res.writeHead(405).end();
    const message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: unknown; method?: string; params?: Record<string, unknown> };
    if (message.id === undefined) return void res.writeHead(202).end();
    const { id, method, params = {} } = message;
    const answer = (result: unknown): void =>
      void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id, result }));
    if (method === 'initialize')
      answer({ protocolVersion: params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'large-http', version: '1.0.0' } });
    else if (method === 'tools/list') answer({ tools: TOOLS });
    else if (method === 'tools/call') {
      const args = (params.arguments ?? {}) as { bytes?: number; sse?: boolean };
      const bytes = Number(args.bytes ?? 0);
      // With `sse`, the answer is one event of an event stream, as the SDK's server sends it by default.
      const head = Buffer.from(
        `${args.sse === true ? 'event: message\ndata: ' : ''}{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"content":[{"type":"text","text":"`,
      );
      const tail = Buffer.from(`"}]}}${args.sse === true ? '\n\n' : ''}`);
      const type = args.sse === true ? 'text/event-stream' : 'application/json';
      res.writeHead(200, { 'content-type': type, 'content-length': String(head.length + bytes + tail.length) });
      res.write(head);
      res.write(Buffer.alloc(bytes, 'x'));
      res.end(tail);
    } else
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32601, message: `no ${method}` } }));
  });
});
server.listen(Number(values.port), '127.0.0.1');
