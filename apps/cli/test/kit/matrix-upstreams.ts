import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { createFixtureServer, startFixtureHttpServer } from '@mcproxy/testing';

type Id = string | number;

/** What one upstream session (one fixture instance) received: its tool calls and cancellations, by the ids it saw. */
export interface TapSession {
  calls: Array<{ id: Id; name: string; arguments: Record<string, unknown> }>;
  cancelled: Id[];
}

/** Records a message from the client side (here: mcproxy) into `session`. */
export function record(session: TapSession, message: Record<string, unknown>): void {
  const params = (message.params ?? {}) as Record<string, unknown>;
  if (message.method === 'tools/call') {
    session.calls.push({ id: message.id as Id, name: String(params.name), arguments: (params.arguments ?? {}) as Record<string, unknown> });
  }
  if (message.method === 'notifications/cancelled') session.cancelled.push(params.requestId as Id);
}

/**
 * The fixture server, with every message its transport hands it recorded
 * first. The tap sits between transport and server, so what it records is what
 * reached the upstream, not what mcproxy meant to send.
 */
function tappedFixture(sessions: TapSession[]): McpServer {
  const server = createFixtureServer();
  const session: TapSession = { calls: [], cancelled: [] };
  sessions.push(session);
  const connect = server.connect.bind(server);
  server.connect = async (transport) => {
    await connect(transport);
    const deliver = transport.onmessage;
    transport.onmessage = (message: JSONRPCMessage, extra) => {
      record(session, message as unknown as Record<string, unknown>);
      deliver?.(message, extra);
    };
  };
  return server;
}

export interface InProcessUpstream {
  url: string;
  /** One entry per fixture instance (upstream session) ever opened. */
  sessions: TapSession[];
  /** Upstream sessions still open. */
  live(): number;
  close(): Promise<void>;
}

/** The fixture over Streamable HTTP (the testing package's server), tapped. */
export async function startHttpUpstream(): Promise<InProcessUpstream> {
  const sessions: TapSession[] = [];
  const server = await startFixtureHttpServer({ port: 0, host: '127.0.0.1', createServer: () => tappedFixture(sessions) });
  return { url: server.url, sessions, live: () => server.sessionCount(), close: () => server.close() };
}

/**
 * The fixture over the legacy HTTP+SSE transport, served by the MCP SDK's own
 * `SSEServerTransport` on node:http (not mcproxy's SSE server side, so the two
 * ends are independent implementations). GET /sse opens a session, POST
 * /messages?sessionId=… carries the client's messages. A POST on /sse is
 * answered 405, as old servers do: that is what auto-detection falls back on.
 */
export async function startSseUpstream(): Promise<InProcessUpstream> {
  const sessions: TapSession[] = [];
  const open = new Map<string, { transport: SSEServerTransport; server: McpServer }>();

  const refuse = (res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'Content-Type': 'text/plain', ...headers }).end(message);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://upstream.invalid');
    if (url.pathname === '/sse') {
      if (req.method !== 'GET') return refuse(res, 405, 'Method not allowed', { Allow: 'GET' });
      const transport = new SSEServerTransport('/messages', res);
      const server = tappedFixture(sessions);
      const id = transport.sessionId;
      open.set(id, { transport, server });
      res.once('close', () => {
        open.delete(id);
        void server.close();
      });
      return server.connect(transport);
    }
    if (url.pathname === '/messages') {
      if (req.method !== 'POST') return refuse(res, 405, 'Method not allowed', { Allow: 'POST' });
      const session = open.get(url.searchParams.get('sessionId') ?? '');
      if (session === undefined) return refuse(res, 404, 'Unknown session');
      return session.transport.handlePostMessage(req, res);
    }
    return refuse(res, 404, 'Not found');
  };
  const http = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) refuse(res, 500, 'Internal error');
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/sse`,
    sessions,
    live: () => open.size,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
        await Promise.allSettled([...open.values()].map(({ server }) => server.close()));
        http.closeAllConnections();
        await stopped;
      })();
      return closing;
    },
  };
}
