import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';

/** What the server saw of one HTTP request. */
export interface Seen {
  method: string;
  path: string;
  /** The JSON-RPC method of a POST body. */
  rpc: string | undefined;
  authorization: string | undefined;
  protocolVersion: string | undefined;
  /** The `Mcproxy-Hops` header. */
  hops: string | undefined;
  status?: number;
}

export interface SdkSseServer {
  /** The SSE endpoint: `http://127.0.0.1:<port>/sse`. */
  url: string;
  seen: Seen[];
  /** Live sessions by id. */
  sessions: Map<string, SSEServerTransport>;
  /** Ends every stream from the server's side, as a restarted server would. */
  dropStreams(): Promise<void>;
  close(): Promise<void>;
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return chunks.length === 0 ? undefined : (JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
}

/**
 * An SDK McpServer behind the SDK's own `SSEServerTransport`, the reference
 * 2024-11-05 server, on 127.0.0.1 port 0: GET /sse and POST /messages, and
 * 404 for anything else (POST /sse included, as an Express app with only
 * those two routes answers). Records every request, so tests can check what
 * the client side under test sent, against a server that is not ours.
 * With `admit`, requests whose `Authorization` it refuses get 401.
 */
export async function startSdkSseServer(build: () => McpServer, admit?: (authorization: string | undefined) => boolean): Promise<SdkSseServer> {
  const sessions = new Map<string, SSEServerTransport>();
  const seen: Seen[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = req.method === 'POST' ? await readBody(req) : undefined;
    const entry: Seen = {
      method: req.method ?? '',
      path: url.pathname,
      rpc: typeof body === 'object' && body !== null && 'method' in body ? String(body.method) : undefined,
      authorization: header(req, 'authorization'),
      protocolVersion: header(req, 'mcp-protocol-version'),
      hops: header(req, 'mcproxy-hops'),
    };
    seen.push(entry);
    // A protected resource: a request whose Authorization `admit` refuses gets 401 and a challenge.
    if (admit !== undefined && !admit(entry.authorization)) {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="test"' }).end();
      entry.status = 401;
      return;
    }
    res.once('finish', () => void (entry.status = res.statusCode));
    if (req.method === 'GET' && url.pathname === '/sse') {
      const transport = new SSEServerTransport('/messages', res);
      sessions.set(transport.sessionId, transport);
      transport.onclose = () => void sessions.delete(transport.sessionId);
      await build().connect(transport);
      // A stream never finishes while it lasts: its status is known once it starts.
      entry.status = res.statusCode;
      return;
    }
    if (req.method === 'POST' && url.pathname === '/messages') {
      const transport = sessions.get(url.searchParams.get('sessionId') ?? '');
      if (transport === undefined) {
        res.writeHead(404).end('Session not found');
        return;
      }
      await transport.handlePostMessage(req, res, body);
      return;
    }
    res.writeHead(404).end('Not found');
  };

  const server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/sse`,
    seen,
    sessions,
    async dropStreams() {
      await Promise.all([...sessions.values()].map((t) => t.close()));
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
