import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the scripted upstream received it. */
export interface Hit {
  method: string;
  /** Path and query. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body of a POST. */
  body: Record<string, unknown> | undefined;
  /** When it arrived (Date.now()). */
  at: number;
  /** Set when the client closed the connection of this request (a stream it stopped reading). */
  closed: boolean;
}

export interface ScriptedUpstream {
  url: string;
  hits: Hit[];
  close(): Promise<void>;
}

/**
 * A bare `node:http` server on 127.0.0.1 port 0 whose every answer the test
 * writes itself (`answer`), for what an SDK server would never do on cue:
 * drop a stream halfway, refuse with a given status, send odd events.
 */
export async function scriptedUpstream(answer: (hit: Hit, res: ServerResponse) => void): Promise<ScriptedUpstream> {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const hit: Hit = {
        method: req.method ?? '', path: req.url ?? '', headers: req.headers, at: Date.now(), closed: false,
        body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>),
      };
      hits.push(hit);
      res.once('close', () => { hit.closed = true; });
      answer(hit, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    hits,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** Writes the head of an event stream. */
export function sseHead(res: ServerResponse, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers });
  res.flushHeaders();
}

/** One `message` event carrying `message`, with an id when given. */
export function sseEvent(message: unknown, id?: string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: message\ndata: ${JSON.stringify(message)}\n\n`;
}

/** A JSON body with status 200 (and extra headers). */
export function json(res: ServerResponse, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}
