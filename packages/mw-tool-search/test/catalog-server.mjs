#!/usr/bin/env node
// The made-up catalog (catalog.mjs) served over streamable HTTP by one
// process: each of the 20 services at its own path (/github, /slack, ...),
// 50 tools each, on the v2 SDK's low-level Server behind createMcpHandler,
// so both eras are served (2026-07-28 statelessly, 2025-11-25 through the
// SDK's stateless legacy path). Listens on 127.0.0.1, port 0, and prints
// {"url": "http://127.0.0.1:PORT"} on stdout once it does. A tools/call
// answers `<service>:<tool> <arguments as JSON>`.
//
//   node catalog-server.mjs
import { createServer } from 'node:http';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, ProtocolError, ProtocolErrorCode, Server } from '@modelcontextprotocol/server';
import { catalog } from './catalog.mjs';

/** @param {Error} error */
const report = (error) => process.stderr.write(`catalog-server: ${error.message}\n`);

/** One handler per service; the SDK makes a fresh Server per request from it. */
const handlers = new Map(
  Object.entries(catalog()).map(([service, tools]) => {
    const names = new Set(tools.map((t) => t.name));
    const handler = createMcpHandler(
      () => {
        const server = new Server({ name: `catalog-${service}`, version: '1.0.0' }, { capabilities: { tools: {} } });
        server.setRequestHandler('tools/list', () => ({ tools }));
        server.setRequestHandler('tools/call', ({ params }) => {
          if (!names.has(params.name)) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${params.name}`);
          return { content: [{ type: 'text', text: `${service}:${params.name} ${JSON.stringify(params.arguments ?? {})}` }] };
        });
        return server;
      },
      { onerror: report },
    );
    return [`/${service}`, { handler, serve: toNodeHandler(handler, { onerror: report }) }];
  }),
);

const http = createServer((req, res) => {
  const route = handlers.get(new URL(req.url ?? '/', 'http://localhost').pathname);
  if (route === undefined) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
    return;
  }
  route.serve(req, res).catch((err) => {
    report(err instanceof Error ? err : new Error(String(err)));
    if (!res.headersSent) res.writeHead(500).end();
    else res.destroy();
  });
});

http.listen(0, '127.0.0.1', () => {
  const { port } = /** @type {import('node:net').AddressInfo} */ (http.address());
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    void Promise.allSettled([...handlers.values()].map((r) => r.handler.close())).finally(() => {
      http.closeAllConnections();
      http.close(() => process.exit(0));
    });
  });
}
