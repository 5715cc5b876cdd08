import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Teardown } from '@mcproxy/testing';

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
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        at: Date.now(),
        closed: false,
        body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>),
      };
      hits.push(hit);
      res.once('close', () => {
        hit.closed = true;
      });
      answer(hit, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
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

/** The protocol version `sessionUpstream` answers `initialize` with. */
export const SCRIPTED_VERSION = '2025-11-25';

/** A test's answer to one hit of `sessionUpstream`: return true when it answered, to keep the defaults out. */
export type Script = (hit: Hit, res: ServerResponse) => boolean | undefined;

/**
 * A scripted upstream that acts as a plain server with sessions wherever
 * `script` does not answer first: `initialize` gets a result and session
 * `sess-1`, a notification 202, anything else 405. Closed by `teardown`.
 *
 * @example
 * const up = await sessionUpstream(t, (hit, res) => {
 *   if (hit.body?.method !== 'tools/call') return false;
 *   res.destroy(); // the call's connection drops
 *   return true;
 * });
 */
export async function sessionUpstream(teardown: Teardown, script: Script = () => false): Promise<ScriptedUpstream> {
  const up = await scriptedUpstream((hit, res) => {
    if (script(hit, res) === true) return;
    if (hit.body?.method === 'initialize')
      json(
        res,
        { jsonrpc: '2.0', id: hit.body.id, result: { protocolVersion: SCRIPTED_VERSION, capabilities: {}, serverInfo: { name: 's', version: '1' } } },
        { 'mcp-session-id': 'sess-1' },
      );
    else if (hit.method === 'POST' && !('id' in (hit.body ?? {}))) res.writeHead(202).end();
    else res.writeHead(405).end();
  });
  teardown.add(() => up.close());
  return up;
}
