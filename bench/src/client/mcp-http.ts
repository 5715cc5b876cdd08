import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { modernBody, modernHeaders, type ModernSession } from './mcp-modern.js';

/** The protocol revision every bench client speaks. */
export const PROTOCOL_VERSION = '2025-06-18';
const REQUEST_TIMEOUT_MS = 30_000;

/** One initialized streamable HTTP session. */
export interface McpSession {
  modern?: false;
  url: URL;
  id: string;
  protocolVersion: string;
  agent: Agent;
  /** Sent as `Authorization: Bearer …` with every request (the targets with auth). */
  credential?: string | undefined;
}

export interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** process.hrtime.bigint() when the last byte had arrived (before any parsing). */
  doneAt?: bigint;
}

/** What the bench talks to a target through: an initialized session, or a 2026-07-28 client. */
export type Session = McpSession | ModernSession;

/** The headers every request on a session carries. */
export function sessionHeaders(session: Pick<McpSession, 'id' | 'protocolVersion' | 'credential'>): Record<string, string> {
  return {
    Accept: 'application/json, text/event-stream',
    'Content-Type': 'application/json',
    'Mcp-Session-Id': session.id,
    'MCP-Protocol-Version': session.protocolVersion,
    ...(session.credential === undefined ? {} : { Authorization: `Bearer ${session.credential}` }),
  };
}

/** The headers of one request: the session's, or the 2026-07-28 ones that name the method. */
export function requestHeaders(session: Session, method: string, params: Record<string, unknown>): Record<string, string> {
  return session.modern === true ? modernHeaders(method, params) : sessionHeaders(session);
}

/** The body of one request: plain JSON-RPC, or with the 2026-07-28 envelope in its `_meta`. */
export function requestBody(session: Session, id: number, method: string, params: Record<string, unknown>): string {
  return session.modern === true ? modernBody(id, method, params) : JSON.stringify({ jsonrpc: '2.0', id, method, params });
}

/** One HTTP exchange with the whole body read. */
export function send(url: URL, method: string, headers: Record<string, string>, body: string | undefined, agent: Agent): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const doneAt = process.hrtime.bigint();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), doneAt });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    // Nothing in the bench should take this long: a hung server must not hang the bench.
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer from ${url.href} within ${REQUEST_TIMEOUT_MS} ms`)));
    req.end(body);
  });
}

/**
 * The JSON-RPC messages in a response body: a JSON body as it is, an SSE
 * body as the `data:` of each event (priming events carry none).
 */
export function messagesIn(text: string): unknown[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    const v: unknown = JSON.parse(trimmed);
    return Array.isArray(v) ? v : [v];
  }
  const out: unknown[] = [];
  for (const event of text.split(/\r?\n\r?\n/)) {
    const data = event
      .split(/\r?\n/)
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).replace(/^ /, ''))
      .join('\n');
    if (data !== '') out.push(JSON.parse(data));
  }
  return out;
}

export interface RpcAnswer {
  id?: unknown;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
}

/** The answer to request `id` in a reply, or a description of what was wrong. */
export function answerIn(reply: HttpReply, id: number): RpcAnswer | string {
  if (reply.status < 200 || reply.status > 299) return `HTTP ${reply.status}: ${reply.text.slice(0, 200)}`;
  let messages: unknown[];
  try {
    messages = messagesIn(reply.text);
  } catch {
    return `unparsable body: ${reply.text.slice(0, 200)}`;
  }
  const answer = messages.find((m): m is RpcAnswer => typeof m === 'object' && m !== null && (m as RpcAnswer).id === id);
  return answer ?? `no answer with id ${id} in: ${reply.text.slice(0, 200)}`;
}

/** POST initialize, then notifications/initialized: a session ready for calls. */
export async function openSession(url: string, agent: Agent = new Agent({ keepAlive: true, maxSockets: 1 }), credential?: string): Promise<McpSession> {
  const target = new URL(url);
  const init = {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'mcproxy-bench', version: '1.0.0' } },
  };
  const headers = {
    Accept: 'application/json, text/event-stream',
    'Content-Type': 'application/json',
    ...(credential === undefined ? {} : { Authorization: `Bearer ${credential}` }),
  };
  const reply = await send(target, 'POST', headers, JSON.stringify(init), agent);
  const id = reply.headers['mcp-session-id'];
  const answer = answerIn(reply, 0);
  if (typeof answer === 'string') throw new Error(`initialize failed at ${url}: ${answer}`);
  if (answer.error !== undefined) throw new Error(`initialize failed at ${url}: ${answer.error.message}`);
  if (typeof id !== 'string') throw new Error(`initialize at ${url} gave no Mcp-Session-Id`);
  const version = typeof answer.result?.protocolVersion === 'string' ? answer.result.protocolVersion : PROTOCOL_VERSION;
  const session: McpSession = { url: target, id, protocolVersion: version, agent, credential };
  const note = await send(target, 'POST', sessionHeaders(session), JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), agent);
  if (note.status !== 202 && note.status !== 200) throw new Error(`notifications/initialized at ${url}: HTTP ${note.status}`);
  return session;
}

/**
 * A 2026-07-28 client of `url`, after one `tools/list` has shown that the
 * target answers in that revision (its results carry `resultType`) and offers
 * `echo`: a target that cannot is reported as unavailable, not measured.
 */
export async function openModernSession(url: string, agent: Agent = new Agent({ keepAlive: true, maxSockets: 1 })): Promise<ModernSession> {
  const session: ModernSession = { modern: true, url: new URL(url), agent };
  let result: Record<string, unknown>;
  try {
    result = await call(session, 0, 'tools/list', {});
  } catch (err) {
    throw new Error(`a 2026-07-28 tools/list failed at ${url}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (result.resultType !== 'complete') throw new Error(`${url} did not answer as a 2026-07-28 server (resultType ${JSON.stringify(result.resultType)})`);
  const tools = result.tools as Array<{ name?: string }> | undefined;
  if (!tools?.some((t) => t.name === 'echo')) throw new Error(`${url} offers no echo tool`);
  return session;
}

/** A session on a target, in the revision it is measured in. */
export function openClient(url: string, modern: boolean, agent?: Agent, credential?: string): Promise<Session> {
  return modern ? openModernSession(url, agent) : openSession(url, agent, credential);
}

/** One request on a session; throws unless it comes back as a result. */
export async function call(session: Session, id: number, method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  return (await timedCall(session, id, method, params)).result;
}

/**
 * `call`, also saying how long the exchange took in ms: from just before
 * the request was written until its last byte arrived, leaving out the
 * client's own parsing (which grows with the size of the answer).
 */
export async function timedCall(
  session: Session,
  id: number,
  method: string,
  params: Record<string, unknown>,
): Promise<{ result: Record<string, unknown>; ms: number }> {
  const body = requestBody(session, id, method, params);
  const headers = requestHeaders(session, method, params);
  const start = process.hrtime.bigint();
  const reply = await send(session.url, 'POST', headers, body, session.agent);
  const ms = Number((reply.doneAt ?? process.hrtime.bigint()) - start) / 1e6;
  const answer = answerIn(reply, id);
  if (typeof answer === 'string') throw new Error(`${method}: ${answer}`);
  if (answer.error !== undefined) throw new Error(`${method}: JSON-RPC error ${answer.error.code} ${answer.error.message}`);
  return { result: answer.result ?? {}, ms };
}

/** DELETE the session; resolves with the HTTP status. */
export async function closeSession(session: McpSession): Promise<number> {
  const reply = await send(session.url, 'DELETE', sessionHeaders(session), undefined, session.agent);
  return reply.status;
}

/** Polls until something accepts TCP connections at `url`'s port: the server is listening. */
export async function waitForListening(url: string, ms: number, stillAlive: () => boolean): Promise<void> {
  const { hostname, port } = new URL(url);
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: hostname, port: Number(port) }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (!stillAlive()) throw new Error(`the server for ${url} exited before it listened`);
    if (Date.now() > deadline) throw new Error(`nothing listened at ${url} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
