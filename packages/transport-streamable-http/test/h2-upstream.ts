import { randomUUID } from 'node:crypto';
import {
  createSecureServer,
  createServer,
  type Http2SecureServer,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
} from 'node:http2';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { H2Request, H2Response } from '../src/http/h2-compat.js';

/** What the HTTP/2 upstream saw of one request. */
export interface H2Seen {
  method: string;
  httpVersion: string;
  rpc: string | undefined;
  authorization: string | undefined;
}

export interface H2Upstream {
  url: string;
  seen: H2Seen[];
  /** TCP connections opened to it so far. */
  connections(): number;
  /** Every session is told GOAWAY, as a server going away would: clients must open new connections. */
  goAway(): void;
  close(): Promise<void>;
}

/**
 * An SDK McpServer served over HTTP/2 only (no HTTP/1.1 at all): h2c with
 * prior knowledge, or, with `tls`, h2 over TLS (`allowHTTP1` as asked).
 * Each session has its own SDK transport. The SDK writes HTTP/1.1's
 * `Connection` header on event streams, which HTTP/2 forbids: the face's
 * response class drops it, as it does for ours.
 */
export async function startH2Upstream(build: () => McpServer, tls?: { cert: string; key: string; allowHTTP1?: boolean }): Promise<H2Upstream> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const seen: H2Seen[] = [];
  const sessions = new Set<Http2Session>();
  let connections = 0;
  const handle = (req: Http2ServerRequest, res: Http2ServerResponse): void => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown) : undefined;
      seen.push({
        method: req.method,
        httpVersion: req.httpVersion,
        rpc: typeof body === 'object' && body !== null && 'method' in body ? String(body.method) : undefined,
        authorization: req.headers.authorization,
      });
      const nodeReq = req as unknown as IncomingMessage;
      const nodeRes = res as unknown as ServerResponse;
      const id = req.headers['mcp-session-id'];
      if (typeof id === 'string') {
        const transport = transports.get(id);
        if (transport === undefined) return void res.writeHead(404).end();
        return transport.handleRequest(nodeReq, nodeRes, body);
      }
      if (!isInitializeRequest(body)) return void res.writeHead(400).end();
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        onsessioninitialized: (sid) => void transports.set(sid, transport),
      });
      transport.onclose = () => {
        if (transport.sessionId !== undefined) transports.delete(transport.sessionId);
      };
      await build().connect(transport);
      await transport.handleRequest(nodeReq, nodeRes, body);
    })().catch(() => res.destroy());
  };
  const classes = { Http2ServerRequest: H2Request, Http2ServerResponse: H2Response };
  const server: Http2Server | Http2SecureServer =
    tls === undefined
      ? createServer(classes, handle)
      : createSecureServer({ ...classes, cert: tls.cert, key: tls.key, allowHTTP1: tls.allowHTTP1 === true }, handle);
  server.on('connection', () => void connections++);
  server.on('session', (session: Http2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}/mcp`,
    seen,
    connections: () => connections,
    goAway() {
      for (const session of sessions) session.close();
    },
    async close() {
      await Promise.all([...transports.values()].map((t) => t.close()));
      for (const session of sessions) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
