import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { createEventStore } from '../src/face/sessions/sdk-event-store.js';

/** What the upstream saw of one HTTP request. */
export interface Seen {
  method: string;
  /** The JSON-RPC method of a POST body, when it was one message. */
  rpc: string | undefined;
  sessionId: string | undefined;
  protocolVersion: string | undefined;
  authorization: string | undefined;
  status?: number;
}

export interface HttpUpstream {
  url: string;
  seen: Seen[];
  /** Live sessions by id. */
  sessions: Map<string, StreamableHTTPServerTransport>;
  /** Drops every session, as a restarted server would: their ids now get 404. */
  forget(): Promise<void>;
  close(): Promise<void>;
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * An SDK McpServer served over Streamable HTTP on 127.0.0.1 port 0, stateful
 * and resumable, recording every request it gets. Independent of the code
 * under test (plain SDK transport), so the proxy's client side is checked
 * against the SDK's server, not against itself. `port` (default 0: any)
 * lets a test restart an upstream where its clients expect it.
 */
export async function startHttpUpstream(build: () => McpServer, port = 0): Promise<HttpUpstream> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const seen: Seen[] = [];

  const server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown) : undefined;
      const sessionId = header(req, 'mcp-session-id');
      const entry: Seen = {
        method: req.method ?? '',
        rpc: typeof body === 'object' && body !== null && 'method' in body ? String(body.method) : undefined,
        sessionId,
        protocolVersion: header(req, 'mcp-protocol-version'),
        authorization: header(req, 'authorization'),
      };
      seen.push(entry);
      res.once('finish', () => {
        entry.status = res.statusCode;
      });
      if (sessionId !== undefined) {
        const transport = sessions.get(sessionId);
        if (transport === undefined) {
          res
            .writeHead(404, { 'content-type': 'application/json' })
            .end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } }));
          return;
        }
        await transport.handleRequest(req, res, body);
        return;
      }
      if (!isInitializeRequest(body)) {
        res.writeHead(400).end();
        return;
      }
      const mcp = build();
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        eventStore: createEventStore(),
        onsessioninitialized: (id) => void sessions.set(id, transport),
      });
      transport.onclose = () => {
        if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
      };
      await mcp.connect(transport);
      await transport.handleRequest(req, res, body);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${bound}/mcp`,
    seen,
    sessions,
    async forget() {
      const all = [...sessions.values()];
      sessions.clear();
      await Promise.all(all.map((t) => t.close()));
    },
    async close() {
      await Promise.all([...sessions.values()].map((t) => t.close()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
