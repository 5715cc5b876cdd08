import type { IncomingHttpHeaders } from 'node:http';
import { connect, type ClientHttp2Session, type ClientHttp2Stream, type SecureClientSessionOptions } from 'node:http2';
import type { Teardown } from '@mcproxy/testing';

// A bare `node:http2` client for tests: one connection, each request a stream,
// so a test sees what HTTP/2 itself carries (status, headers, resets).

export interface H2Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The JSON-RPC message: the body, or the last `data:` of an event stream. */
  message(): Record<string, unknown>;
}

/** One HTTP/2 connection to `url`'s origin, closed in teardown. Resolves once it is up. */
export async function connectH2(t: Teardown, url: string, options: SecureClientSessionOptions = {}): Promise<ClientHttp2Session> {
  const session = connect(new URL(url).origin, options);
  session.on('error', () => undefined);
  t.add(async () => void session.destroy());
  await new Promise<void>((resolve, reject) => {
    session.once('connect', () => resolve());
    session.once('error', reject);
  });
  return session;
}

/** Sends one request on `session` and reads its whole answer. */
export function h2Request(
  session: ClientHttp2Session,
  path: string,
  req: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const stream = h2Stream(session, path, req);
    const chunks: Buffer[] = [];
    let status = 0;
    let headers: IncomingHttpHeaders = {};
    stream.once('response', (h) => {
      status = Number(h[':status']);
      headers = h;
    });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.once('error', reject);
    stream.once('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({ status, headers, text, message: () => messageOf(String(headers['content-type']), text) });
    });
  });
}

/** A request's stream, its body sent and ended (`body` undefined: no body at all). */
export function h2Stream(
  session: ClientHttp2Session,
  path: string,
  req: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): ClientHttp2Stream {
  const stream = session.request({ ':method': req.method ?? 'GET', ':path': path, ...req.headers }, { endStream: req.body === undefined });
  if (req.body !== undefined) stream.end(req.body);
  return stream;
}

/** A JSON-RPC POST as an MCP client sends it. */
export function h2Post(session: ClientHttp2Session, path: string, message: unknown, headers: Record<string, string> = {}): Promise<H2Reply> {
  return h2Request(session, path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(message),
  });
}

/** The events of an event stream as they come: `next()` is the next `data:` parsed, undefined once it ended. */
export function h2Events(stream: ClientHttp2Stream): { response: Promise<IncomingHttpHeaders>; next(): Promise<Record<string, unknown> | undefined> } {
  const queue: Record<string, unknown>[] = [];
  const waiting: Array<(m: Record<string, unknown> | undefined) => void> = [];
  let buffer = '';
  let ended = false;
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    for (let at = buffer.indexOf('\n\n'); at !== -1; at = buffer.indexOf('\n\n')) {
      const data = buffer
        .slice(0, at)
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trim())
        .join('\n');
      buffer = buffer.slice(at + 2);
      if (data === '') continue;
      const message = JSON.parse(data) as Record<string, unknown>;
      const w = waiting.shift();
      if (w) w(message);
      else queue.push(message);
    }
  });
  const end = (): void => {
    ended = true;
    for (const w of waiting.splice(0)) w(undefined);
  };
  stream.once('close', end);
  stream.once('error', end);
  return {
    response: new Promise((resolve, reject) => {
      stream.once('response', resolve);
      stream.once('error', reject);
    }),
    next: () => {
      const m = queue.shift();
      if (m !== undefined || ended) return Promise.resolve(m);
      return new Promise((resolve) => waiting.push(resolve));
    },
  };
}

function messageOf(contentType: string, text: string): Record<string, unknown> {
  if (!contentType.includes('text/event-stream')) return JSON.parse(text) as Record<string, unknown>;
  const frames = text.split('\n').filter((line) => line.startsWith('data:') && line.length > 5);
  const last = frames.at(-1);
  if (last === undefined) throw new Error('the event stream carried no message');
  return JSON.parse(last.slice(5)) as Record<string, unknown>;
}
