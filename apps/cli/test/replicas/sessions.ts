// Clients of a replica set: 2025-11-25 sessions (the SDK client over
// Streamable HTTP, each request routed where the test says, else through the
// load balancer), every call recorded (outcome, latency), load loops, and
// plain 2026-07-28 requests.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { type CountLine, modernHeaders, modernMessage, post, type SseStream, textOf } from '@mcproxy/testing';

/** How one call ended. `hung`: no answer within the call's timeout. */
export interface CallRecord {
  session: number;
  tool: string;
  n: string;
  start: number;
  end: number;
  ok: boolean;
  text?: string;
  error?: string;
  notFound?: boolean;
  hung?: boolean;
}

/** Every call a test made, and the figures its summary line needs. */
export class Calls {
  readonly records: CallRecord[] = [];
  get failed(): CallRecord[] {
    return this.records.filter((r) => !r.ok);
  }
  get notFound(): number {
    return this.records.filter((r) => r.notFound === true).length;
  }
  get hung(): number {
    return this.records.filter((r) => r.hung === true).length;
  }
  /** The 99th percentile latency of the calls that succeeded, in ms. */
  p99(): number {
    return percentile(
      this.records.filter((r) => r.ok).map((r) => r.end - r.start),
      0.99,
    );
  }
  /** A few failures, for an assertion message. */
  sample(): string {
    return this.failed
      .slice(0, 8)
      .map((r) => `${r.tool} ${r.n}: ${r.error}`)
      .join('\n');
  }
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!);
}

/** Answers no client expects (a 2xx POST answer with no content type), as `METHOD kind url -> status headers body`. */
export const odd: string[] = [];

/** The text of a response's body, or what is known of it after a second. */
function bodyOf(response: Response): Promise<string> {
  return Promise.race([response.clone().text(), new Promise<string>((resolve) => setTimeout(() => resolve('<the body had not ended after 1 s>'), 1000))]);
}

/** Where a message of a session goes: a replica's URL, or undefined for the load balancer. */
export type Route = (
  kind: 'initialize' | 'request' | 'response' | 'notification' | 'get' | 'delete',
  body: Record<string, unknown> | undefined,
) => string | undefined;

export interface TestSession {
  readonly index: number;
  readonly client: Client;
  readonly transport: StreamableHTTPClientTransport;
  /** The session id the proxy gave at initialize. */
  readonly id: string;
  /** The elicitation questions the client was asked. */
  readonly asked: string[];
  /** The bodies of the answers the client POSTed to server requests. */
  readonly answers: string[];
  /** Calls `tool` with `{n, ...args}`, recorded in `calls`; never throws. */
  call(tool: string, n: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<CallRecord>;
  /** Ends the session (DELETE) and closes the client. */
  close(): Promise<void>;
}

export interface SessionOptions {
  calls: Calls;
  route?: Route;
  /** Answers elicitations with `{answer: answer(question)}`; the client declares elicitation when given. */
  answer?: (question: string) => string;
}

function kindOf(method: string, body: Record<string, unknown> | undefined): Parameters<Route>[0] {
  if (method === 'GET') return 'get';
  if (method === 'DELETE') return 'delete';
  if (body?.method === 'initialize') return 'initialize';
  if (body?.method === undefined) return 'response';
  return body.id === undefined ? 'notification' : 'request';
}

/** Opens a 2025-11-25 session through `url` (each request where `route` says); its calls time out after 10 s by default. */
export async function openSession(url: string, index: number, options: SessionOptions): Promise<TestSession> {
  const asked: string[] = [];
  const answers: string[] = [];
  const routed = async (input: string | URL, init?: RequestInit): Promise<Response> => {
    const method = init?.method ?? 'GET';
    let body: Record<string, unknown> | undefined;
    if (typeof init?.body === 'string') {
      try {
        body = JSON.parse(init.body) as Record<string, unknown>;
      } catch {
        body = undefined;
      }
    }
    const kind = kindOf(method, body);
    if (kind === 'response' && typeof init?.body === 'string') answers.push(init.body);
    const target = options.route?.(kind, body) ?? input;
    const response = await fetch(target, init);
    // What the SDK client would only call "unexpected": kept whole, for the report.
    const type = response.headers.get('content-type');
    if (response.ok && response.status !== 202 && method === 'POST' && type === null) {
      odd.push(`${method} ${kind} ${String(target)} -> ${response.status} ${JSON.stringify([...response.headers])} ${await bodyOf(response)}`);
    }
    return response;
  };
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    fetch: routed,
    reconnectionOptions: { initialReconnectionDelay: 200, maxReconnectionDelay: 2000, reconnectionDelayGrowFactor: 1.5, maxRetries: 10 },
  });
  const client = new Client({ name: `replicas-${index}`, version: '1' }, { capabilities: options.answer === undefined ? {} : { elicitation: {} } });
  if (options.answer !== undefined) {
    const answer = options.answer;
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params.message);
      return { action: 'accept', content: { answer: answer(request.params.message) } };
    });
  }
  client.onerror = () => undefined;
  await client.connect(transport);
  const id = transport.sessionId;
  if (id === undefined) throw new Error('the proxy gave no session id');
  return {
    index,
    client,
    transport,
    id,
    asked,
    answers,
    async call(tool, n, args = {}, timeoutMs = 10_000) {
      const start = Date.now();
      const record: CallRecord = { session: index, tool, n, start, end: start, ok: false };
      try {
        const result = await client.callTool({ name: tool, arguments: { n, ...args } }, undefined, { timeout: timeoutMs });
        record.text = textOf(result);
        record.ok = result.isError !== true;
        if (!record.ok) record.error = `isError: ${record.text}`;
      } catch (err) {
        record.error = err instanceof Error ? err.message : String(err);
        record.hung = /timed out/i.test(record.error);
        record.notFound = /session not found|\b404\b/i.test(record.error);
      }
      record.end = Date.now();
      options.calls.records.push(record);
      return record;
    },
    async close() {
      // DELETE first, so the proxy lets the session (and its child) go now rather than when it idles out.
      await transport.terminateSession().catch(() => undefined);
      await client.close().catch(() => undefined);
    },
  };
}

/** A session's calls in a loop, one after another, until `stop()`: `next(session, j)` names each call's tool and `n`. */
export function loop(
  sessions: readonly TestSession[],
  next: (session: TestSession, j: number) => { tool: string; n: string; args?: Record<string, unknown> },
): { stop(): Promise<void> } {
  let stopping = false;
  const runs = sessions.map(async (session) => {
    for (let j = 0; !stopping; j++) {
      const { tool, n, args } = next(session, j);
      await session.call(tool, n, args);
    }
  });
  return {
    async stop() {
      stopping = true;
      await Promise.all(runs);
    },
  };
}

export interface ModernAnswer {
  status: number;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
}

/** One plain 2026-07-28 tools/call (no session), its answer read from JSON or an SSE body; throws only when there is no answer. */
export async function modernCall(
  url: string,
  name: string,
  args: Record<string, unknown>,
  extra: Record<string, unknown> = {},
  timeoutMs = 10_000,
): Promise<ModernAnswer> {
  const params = { name, arguments: args, ...extra };
  const response = await fetch(url, {
    method: 'POST',
    headers: modernHeaders('tools/call', params),
    body: JSON.stringify(modernMessage('tools/call', params, { capabilities: { elicitation: {} } })),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  const bodies = response.headers.get('content-type')?.startsWith('text/event-stream')
    ? text.split('\n').flatMap((l) => (l.startsWith('data:') ? [l.slice(5).trim()] : []))
    : [text];
  const answer = bodies
    .filter((b) => b !== '')
    .map((b) => JSON.parse(b) as Record<string, unknown>)
    .find((m) => m.id === 1);
  if (answer === undefined) throw new Error(`no answer in ${response.status} ${text.slice(0, 300)}`);
  return { status: response.status, ...(answer as { result?: Record<string, unknown>; error?: { code: number; message: string } }) };
}

/** How often each `n` was executed, among the count lines whose `n` starts with `prefix`. */
export function executions(lines: readonly CountLine[], prefix: string): Map<string, number> {
  const seen = new Map<string, number>();
  for (const l of lines) if ((l.kind === 'count' || l.kind === 'limited') && l.n.startsWith(prefix)) seen.set(l.n, (seen.get(l.n) ?? 0) + 1);
  return seen;
}

/** The `n`s executed more than once. */
export const duplicates = (seen: Map<string, number>): string[] => [...seen].filter(([, times]) => times > 1).map(([n]) => n);

/** Calls the counting fixture's `announce` (20 notifications from `from`, on the standalone stream) in the raw session `headers` name. */
export async function announceOn(url: string, headers: Record<string, string>, from: number, id: number): Promise<void> {
  const call = { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'local__announce', arguments: { from, count: 20 } } };
  const answer = await post(url, call, headers);
  if (!answer.text.includes('announcing')) throw new Error(`announce: ${answer.status} ${answer.text.slice(0, 300)}`);
}

/**
 * Reads `stream` until an announced `seq` of at least `upTo` arrives, each
 * into `received`; resolves with the last event id read. Fails when the
 * stream ends or stays silent for 10 s.
 */
export async function readAnnounced(stream: SseStream, received: number[], upTo: number): Promise<string> {
  let last = '';
  while ((received.at(-1) ?? 0) < upTo) {
    const event = await Promise.race([stream.next(), new Promise<'silent'>((resolve) => setTimeout(() => resolve('silent'), 10_000))]);
    if (event === 'silent' || event === undefined) throw new Error(`the stream ${event === 'silent' ? 'stalled' : 'ended'} after ${received.join(',')}`);
    if (event.event !== 'message') continue;
    const message = JSON.parse(event.data) as { params?: { logger?: string; data?: { seq?: number } } };
    if (message.params?.logger?.endsWith('announce') !== true || message.params.data?.seq === undefined) continue;
    received.push(message.params.data.seq);
    last = event.id ?? '';
  }
  return last;
}
