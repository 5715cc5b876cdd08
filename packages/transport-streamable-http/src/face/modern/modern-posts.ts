// The 2026-07-28 face of the endpoint: each POST is a request of its own, served statelessly on node:http.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  classify,
  limitReply,
  logId,
  principalKey,
  type LimitReporter,
  type Limits,
  type Listeners,
  type Logger,
  type Principal,
  type Proxy,
  type Response,
  type Session,
} from '@mcproxy/core';
import { principalOf } from '../../http/front.js';
import { ModernChannel } from './modern-channel.js';
import { invalidRequest, modernRefusal } from './modern-headers.js';
import { sendErrorResponse } from '../../http/replies.js';
import type { ReplicaRouter } from '../replicas/router.js';

export interface ModernPostsOptions {
  proxy: Proxy;
  log: Logger;
  limits: Limits;
  limitReporter: LimitReporter;
  /** SSE comment sent this often on an open `subscriptions/listen` stream; 0: never. */
  keepAliveMs: number;
  /** Open `subscriptions/listen` streams per principal (`limits.listensPerPrincipal`). */
  listeners: Listeners;
  /** With replicas: a retry whose call another replica holds goes there; an input_required round says it is held here. */
  replicas?: ReplicaRouter | undefined;
}

/** Principals whose modern requests keep a principal state at once (JWT subjects are not bounded by configuration). */
export const MAX_PRINCIPAL_STATES = 1024;

/**
 * Every modern request of one HTTP face. Each POST is checked as the
 * revision asks (`modernRefusal`), then handed to core on a `ModernChannel`
 * of its own that ends with its answer: its scope is that one request
 * (core accepts it with `era: 'modern'`). All of them share one middleware
 * state map, the face's, since a modern client has no session to keep
 * state in; with authentication, one map per principal (its principal
 * state), so what a middleware keeps for one principal (a filtered list, a
 * filter's guards) is never served to another. A principal may hold only
 * its principal share of open listen streams (`Listeners`). Requests do not
 * count against `limits.sessions`: each holds one connection while it
 * runs, and connections are bounded by `limits.connections`.
 */
export class ModernPosts {
  /** Middleware state shared by every unauthenticated modern request of this face. */
  readonly state = new Map<symbol | string, unknown>();
  /** Each principal's state, the most recently used last; at most `MAX_PRINCIPAL_STATES` (the oldest is dropped: its caches start over). */
  private readonly states = new Map<string, Map<symbol | string, unknown>>();
  /** Core's side of each request still being answered. */
  private readonly open = new Set<Session>();

  constructor(private readonly options: ModernPostsOptions) {}

  /**
   * Serves one modern POST: a request is checked, handed to core and
   * answered on `res`; a notification is accepted (202) with nothing to
   * pass on (no client notification means anything over HTTP in this
   * revision); a response, a batch or anything else is 400.
   */
  async serve(req: IncomingMessage, res: ServerResponse, body: unknown, raw?: Buffer[]): Promise<void> {
    const found = classify(body);
    if (found.kind === 'invalid') return sendErrorResponse(res, 400, found.id, invalidRequest(found.reason).error!);
    if (found.kind === 'response') {
      return sendErrorResponse(res, 400, found.message.id, invalidRequest('a client POSTs requests and notifications, never responses').error!);
    }
    if (found.kind === 'notification') {
      res.writeHead(202).end();
      return;
    }
    const request = found.message;
    const refusal = modernRefusal(req.headers, request);
    if (refusal !== undefined) return sendErrorResponse(res, 400, request.id, refusal.error!);
    // The client may have gone while the body was read: nothing to start then.
    if (res.destroyed) return;
    const replicas = this.options.replicas;
    const state = (request.params as { requestState?: unknown } | undefined)?.requestState;
    if (replicas !== undefined && typeof state === 'string' && (await replicas.routeState(req, res, state, raw, request.id)) === 'answered') return;

    const { proxy, limits, limitReporter, keepAliveMs, listeners } = this.options;
    // Core's side of this request, once accepted (a `Session` in core's words, with `era: 'modern'`).
    let accepted: Session | undefined;
    const principal = principalOf(req);
    // A listen holds its connection for as long as the client likes: one principal holds a share of them.
    const listener = request.method === 'subscriptions/listen' ? principalKey(principal) : undefined;
    if (listener !== undefined && !listeners.open(listener, limits.listensPerPrincipal)) {
      limitReporter.hit('listensPerPrincipal', limits.listensPerPrincipal, { principal: principal?.id });
      const refused = limitReply('listensPerPrincipal', limits.listensPerPrincipal, 'no new listen stream for this principal');
      return sendErrorResponse(res, 429, request.id, refused.error!, { 'Retry-After': '5' });
    }
    let counted = listener !== undefined;
    // Once, whichever ends the request first (its channel, or a failure before it had one).
    const unlisten = (): void => {
      if (listener === undefined || !counted) return;
      counted = false;
      listeners.close(listener);
    };
    const channel = new ModernChannel({
      id: request.id,
      method: request.method,
      res,
      keepAliveMs,
      slowReaderBytes: limits.slowReaderBytes,
      onSlowReader: (buffered) => limitReporter.hit('slowReaderBytes', limits.slowReaderBytes, { method: request.method, buffered }),
      onEnd: () => {
        unlisten();
        if (accepted !== undefined) this.open.delete(accepted);
      },
      beforeAnswer: replicas === undefined ? undefined : (answer) => heldHere(replicas, answer, limits.parkedCallMs),
    });
    try {
      accepted = await proxy.accept(channel, undefined, { era: 'modern', state: this.stateFor(principal), principal });
    } catch (err) {
      unlisten();
      throw err;
    }
    if (channel.ended) return;
    this.open.add(accepted);
    this.options.log.debug({ session: logId(accepted.id), method: request.method }, 'modern request');
    channel.deliver(request);
  }

  /** The principal state of `principal`'s modern requests: one middleware state map for all of them. */
  private stateFor(principal: Principal | undefined): Map<symbol | string, unknown> {
    if (principal === undefined) return this.state;
    const key = `${principal.kind}:${principal.id}`;
    const state = this.states.get(key) ?? new Map<symbol | string, unknown>();
    this.states.delete(key);
    this.states.set(key, state);
    if (this.states.size > MAX_PRINCIPAL_STATES) this.states.delete(this.states.keys().next().value as string);
    return state;
  }

  /** The server is stopping: each request still open is answered with an error (a listen stream ends), then closed. */
  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.open].map((request) => request.peer.close('the server is shutting down')));
  }
}

/** An input_required round's call stays on this replica until its retry: the store says so, for as long as a call may stay parked. */
async function heldHere(replicas: ReplicaRouter, answer: Response, ttlMs: number): Promise<void> {
  const result = answer.result as { resultType?: unknown; requestState?: unknown } | undefined;
  if (result?.resultType === 'input_required' && typeof result.requestState === 'string') await replicas.holdState(result.requestState, ttlMs + 5000);
}
