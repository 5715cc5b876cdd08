import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { createFixtureStateCodec, createModernFixtureServer } from './server.js';

/** Serves HTTP requests; `close` ends every session. */
export interface LegacySessions {
  serve(req: IncomingMessage, res: ServerResponse): Promise<void>;
  close(): Promise<void>;
}

/**
 * The modern fixture as a 2025-era HTTP server: one stateful session (and one
 * server instance) per `initialize`, so what the SDK pushes to the client
 * during a call travels on that call's stream. A request without a session
 * gets a transport of its own, which refuses it (400) unless it is an
 * `initialize`, and is dropped again when no session came of it.
 */
export function legacySessions(log: (message: string) => void): LegacySessions {
  const codec = createFixtureStateCodec();
  const sessions = new Map<string, NodeStreamableHTTPServerTransport>();
  return {
    async serve(req, res) {
      const id = req.headers['mcp-session-id'];
      const known = typeof id === 'string' ? sessions.get(id) : undefined;
      if (known !== undefined) return known.handleRequest(req, res);
      if (typeof id === 'string') {
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } }));
        return;
      }
      const transport = new NodeStreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sessionId) => void sessions.set(sessionId, transport),
        onsessionclosed: (sessionId) => void sessions.delete(sessionId),
      });
      transport.onerror = (error) => log(`legacy session: ${error.message}`);
      const server = createModernFixtureServer({ codec });
      await server.connect(transport);
      await transport.handleRequest(req, res);
      if (transport.sessionId === undefined) await server.close();
    },
    async close() {
      await Promise.all([...sessions.values()].map((t) => t.close()));
      sessions.clear();
    },
  };
}
