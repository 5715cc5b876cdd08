import { request, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

// Raw HTTP and SSE for tests that must see the wire itself: status, headers,
// one event at a time, and requests fetch would refuse to send.

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json(): unknown;
}

export interface RawRequest {
  method?: string;
  /** Path and query; the URL's own when absent. */
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** The `Accept` an MCP client sends with a POST: a JSON answer or an SSE stream. */
export const MCP_ACCEPT = 'application/json, text/event-stream';

/**
 * One HTTP request on its own connection (no agent, so nothing lingers), with
 * full control of headers fetch would not let a test set (Host, Origin).
 */
export function raw(url: string, req: RawRequest = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    send(url, req, 'POST', reject, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as unknown });
      });
      res.on('error', reject);
    });
  });
}

/** Sends `req` to `url` (`method` unless it names one) without an agent; `fail` hears a request error. */
function send(url: string, req: RawRequest, method: string, fail: (err: Error) => void, answer: (res: IncomingMessage) => void): ClientRequest {
  const target = new URL(url);
  const r = request(
    {
      host: target.hostname,
      port: target.port,
      path: req.path ?? `${target.pathname}${target.search}`,
      method: req.method ?? method,
      headers: req.headers ?? {},
      agent: false,
    },
    answer,
  );
  r.on('error', fail);
  r.end(req.body);
  return r;
}

/** A JSON-RPC POST as an MCP client sends it. */
export function post(url: string, message: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  return raw(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: MCP_ACCEPT, ...headers },
    body: JSON.stringify(message),
  });
}

/** An `initialize` request at `protocolVersion` (the newest revision unless told). */
export const initialize = (id: number | string = 1, protocolVersion = '2025-11-25') => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
  retry?: number;
}

export interface SseStream {
  status: number;
  headers: IncomingHttpHeaders;
  /** The next event, or undefined once the stream has ended. */
  next(): Promise<SseEvent | undefined>;
  /** The next `message` event whose JSON matches `test`, skipping others. */
  message(test: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** Drops the connection, as a client that lost its network would. */
  drop(): void;
}

/**
 * Opens a request whose answer is an SSE stream (a GET unless `req` says
 * otherwise) and reads it one event at a time.
 */
export function openSse(url: string, req: RawRequest = {}): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const r: ClientRequest = send(url, req, 'GET', reject, (res) => resolve(sseReader(res, () => r.destroy())));
  });
}

function sseReader(res: IncomingMessage, drop: () => void): SseStream {
  const queue: SseEvent[] = [];
  const waiting: Array<(e: SseEvent | undefined) => void> = [];
  let buffer = '';
  let ended = false;
  const push = (e: SseEvent | undefined): void => {
    const w = waiting.shift();
    if (w) w(e);
    else if (e) queue.push(e);
  };
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    buffer += chunk;
    for (let at = buffer.indexOf('\n\n'); at !== -1; at = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      const event: SseEvent = { data: '' };
      const data: string[] = [];
      let any = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        any = true;
        if (field === 'data') data.push(value);
        else if (field === 'id') event.id = value;
        else if (field === 'event') event.event = value;
        else if (field === 'retry') event.retry = Number(value);
      }
      event.data = data.join('\n');
      if (any) push(event);
    }
  });
  const end = (): void => {
    ended = true;
    while (waiting.length > 0) push(undefined);
  };
  res.on('end', end);
  res.on('close', end);
  res.on('error', end);
  const next = (): Promise<SseEvent | undefined> => {
    const e = queue.shift();
    if (e !== undefined || ended) return Promise.resolve(e);
    return new Promise((resolve) => waiting.push(resolve));
  };
  return {
    status: res.statusCode ?? 0,
    headers: res.headers,
    next,
    async message(test) {
      for (;;) {
        const e = await next();
        if (e === undefined) throw new Error('the stream ended before the expected message');
        if (e.event !== 'message') continue;
        const m = JSON.parse(e.data) as Record<string, unknown>;
        if (test(m)) return m;
      }
    },
    drop,
  };
}
