// The echo server for protocol revision 2026-07-28: the same tools as
// echo-server.ts, on the v2 SDK's low-level `Server`, served statelessly over
// streamable HTTP by `createMcpHandler` (one fresh instance per request, as
// the SDK serves that revision). The baseline of `direct-modern` and the
// upstream of `mcproxy-modern`. 2025-era requests are refused, so a proxy
// that fell back to the old handshake would show up as errors, not figures.
// Usage: node dist/servers/echo-modern.js [--port N] [--tools N]; prints
// {"msg":"ready","url":"http://127.0.0.1:N/mcp"} on stderr once listening.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, ProtocolError, ProtocolErrorCode, Server } from '@modelcontextprotocol/server';
import { echoTools, extraToolsFromArgv } from './echo-server.js';

const argv = process.argv.slice(2);
const tools = echoTools(extraToolsFromArgv(argv));
const names = new Set(tools.map((t) => t.name));
const portAt = argv.indexOf('--port');
const port = portAt >= 0 ? Number(argv[portAt + 1]) : 0;
const report = (error: Error): void => {
  process.stderr.write(`${JSON.stringify({ msg: 'error', error: error.message })}\n`);
};

/** One instance per request; the tool list is built once and shared. */
function createModernEchoServer(): Server {
  // The low-level Server, as in echo-server.ts: no schema library in the hot path.
  const server = new Server({ name: 'bench-echo-modern', version: '1.0.0' }, { capabilities: { tools: { listChanged: true } } });
  server.setRequestHandler('tools/list', () => ({ tools }));
  server.setRequestHandler('tools/call', (request) => {
    if (!names.has(request.params.name)) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
    const text = request.params.arguments?.text;
    return { content: [{ type: 'text', text: typeof text === 'string' ? text : '' }] };
  });
  return server;
}

const handler = createMcpHandler(createModernEchoServer, { legacy: 'reject', onerror: report });
const serve = toNodeHandler(handler, { onerror: report });

const server = createServer((req, res) => {
  if (new URL(req.url ?? '/', 'http://localhost').pathname !== '/mcp') {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not Found');
    return;
  }
  serve(req, res).catch((err: unknown) => {
    if (!res.headersSent) res.writeHead(500).end(err instanceof Error ? err.message : String(err));
    else res.destroy();
  });
});
server.listen(port, '127.0.0.1', () => {
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  process.stderr.write(`${JSON.stringify({ msg: 'ready', url })}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void handler.close().finally(() => {
      server.closeAllConnections();
      server.close(() => process.exit(0));
    });
  });
}
