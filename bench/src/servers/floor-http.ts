// The floor of one HTTP hop in Node: a bare node:http server that reads the
// body, JSON.parses it and writes a JSON-RPC result, with nothing of MCP but
// the few answers a client of the bench needs (a session id at initialize,
// 202 for a notification, the echoed text for tools/call). What any proxy
// or server costs per request is measured against it (issue 24).
// Usage: node dist/servers/floor-http.js [--port N]; prints
// {"msg":"ready","url":"http://127.0.0.1:N/mcp"} on stderr once listening.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const argv = process.argv.slice(2);
const portAt = argv.indexOf('--port');
const port = portAt >= 0 ? Number(argv[portAt + 1]) : 0;
/** Larger bodies are refused: the floor must not be the thing a bench run knocks over. */
const MAX_BODY = 1024 * 1024;

interface Incoming {
  id?: number | string;
  method?: string;
  params?: { arguments?: { text?: unknown } };
}

function resultOf(message: Incoming): Record<string, unknown> {
  if (message.method === 'initialize') {
    return { protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'bench-floor', version: '1.0.0' } };
  }
  const text = message.params?.arguments?.text;
  return { content: [{ type: 'text', text: typeof text === 'string' ? text : '' }] };
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY) req.destroy();
    else chunks.push(chunk);
  });
  req.on('end', () => {
    let message: Incoming;
    try {
      message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Incoming;
    } catch {
      res.writeHead(400, { 'Content-Type': 'application/json' }).end('{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}');
      return;
    }
    if (message.id === undefined) return void res.writeHead(202).end();
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (message.method === 'initialize') headers['Mcp-Session-Id'] = randomUUID();
    res.writeHead(200, headers).end(JSON.stringify({ jsonrpc: '2.0', id: message.id, result: resultOf(message) }));
  });
});

server.listen(port, '127.0.0.1', () => {
  const { port: bound } = server.address() as AddressInfo;
  process.stderr.write(`${JSON.stringify({ msg: 'ready', url: `http://127.0.0.1:${bound}/mcp` })}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => server.close(() => process.exit(0)));
