import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { samePrincipal, type Logger, type Principal } from '@mcproxy/core';
import { principalOf } from '../../http/front.js';
import { HttpErrorCode, sendErrorResponse, sendJsonRpcError } from '../../http/replies.js';
import { StoreUnavailable, type SessionDirectory, type SessionEntry, type SharedEvents } from './directory.js';
import { FORWARDED_HEADER, forwardTo, NOT_HERE_HEADER, type ForwardOutcome } from './forward.js';
import { Recall } from './recall.js';

/** What a face needs to serve one deployment's sessions from any of its replicas. */
export interface ReplicaOptions {
  directory: SessionDirectory;
  /** A copy of each session's SSE events, so a replica that takes a session over resumes its streams. */
  events?: SharedEvents | undefined;
  /** How long an owner's lease lasts: a replica that cannot reach an owner waits at most this long for it to lapse. Default 3000. */
  leaseMs?: number;
  /** Counts forwards and their outcome, with how long each took to be answered. */
  onForward?(outcome: ForwardOutcome, seconds: number): void;
  /** Counts sessions taken over: `dead` (its owner's lease lapsed), `released` (its owner drained). */
  onTakeover?(reason: 'dead' | 'released'): void;
}

/** Where a request for a session this replica does not hold went. */
export type Routed = 'answered' | { adopt: SessionEntry };

// A not-here answer means the session moved while the request was on its way; it settles within a lease.
const MAX_HOPS = 5;

/**
 * Finds, for a request naming a session this replica does not hold, the
 * replica that does, and sends the request there; or, when no live replica
 * holds it (its owner died or drained), claims it so this replica adopts it.
 * A request that another replica forwarded is never forwarded again: a
 * session not held here answers 503 `x-mcproxy-not-here`, having done nothing.
 */
export class ReplicaRouter {
  private readonly leaseMs: number;
  /** Set once this replica drains: it takes no session over, and hands requests for sessions nobody holds to another replica. */
  draining = false;

  /** What the store said last about sessions and replicas, for when it cannot be asked. */
  private readonly recall: Recall;

  constructor(
    private readonly options: ReplicaOptions,
    private readonly log: Logger,
  ) {
    this.leaseMs = options.leaseMs ?? 3000;
    this.recall = new Recall(options.directory);
  }

  get directory(): SessionDirectory {
    return this.options.directory;
  }

  /**
   * For a request that carries `x-mcproxy-forwarded`: undefined when its
   * token is good (the request is another replica's), else answers 403 and
   * returns 'answered' (a client cannot pose as a replica).
   */
  checkForwarded(req: IncomingMessage, res: ServerResponse, sessionId: string | undefined): 'answered' | 'forwarded' | undefined {
    const token = req.headers[FORWARDED_HEADER];
    if (token === undefined) return undefined;
    if (typeof token === 'string' && sessionId !== undefined && this.options.directory.verifyForward(sessionId, token)) return 'forwarded';
    this.log.warn({ remote: req.socket.remoteAddress }, 'refused a request that claims to come from another replica and cannot prove it');
    sendJsonRpcError(res, 403, HttpErrorCode.Refused, `Forbidden: ${FORWARDED_HEADER} is for mcproxy replicas only`);
    return 'answered';
  }

  /**
   * A request another replica forwarded, for a session not held here: when
   * the store still names this replica its owner (it restarted under the
   * same id and lost it), it is adopted; else the sender is told to look
   * again, nothing done.
   */
  async forwardedHere(req: IncomingMessage, res: ServerResponse, sessionId: string): Promise<Routed> {
    const { directory } = this.options;
    const entry = await directory.lookup(sessionId).catch(() => undefined);
    if (entry !== undefined && entry.owner === directory.self.id) return { adopt: entry };
    // Handed here by a draining replica: a session nobody holds is ours to take.
    if (entry !== undefined && !this.draining && samePrincipal(entry.principal, principalOf(req))) {
      const owner = entry.owner === '' ? undefined : await directory.replica(entry.owner).catch(() => undefined);
      const adopted = owner === undefined ? await this.claim(entry, principalOf(req)).catch(() => undefined) : undefined;
      if (adopted !== undefined) return adopted;
    }
    sendJsonRpcError(res, 503, HttpErrorCode.Refused, 'This replica does not hold the session', { [NOT_HERE_HEADER]: '1', 'Retry-After': '0' });
    return 'answered';
  }

  /** Routes a request for `sessionId` (not held here). `raw` is the POST's body as the client sent it, `id` its request id. */
  async route(req: IncomingMessage, res: ServerResponse, sessionId: string, raw: Buffer[] | undefined, id: string | number | null): Promise<Routed> {
    const { directory } = this.options;
    const principal = principalOf(req);
    try {
      for (let hop = 0; hop < MAX_HOPS; hop++) {
        // The first look may take what the store said a moment ago, to forward; anything else (adopting, claiming, a
        // forward that missed) asks the store again.
        const cached = hop === 0;
        const entry = await this.recall.lookup(sessionId, cached);
        if (entry === undefined || !samePrincipal(entry.principal, principal)) {
          if (cached) continue;
          return this.notFound(res);
        }
        if (entry.owner === directory.self.id) {
          if (cached) continue;
          return { adopt: entry };
        }
        let owner = entry.owner === '' ? undefined : await this.recall.replica(entry.owner, cached);
        if (owner === undefined && cached) continue;
        if (owner === undefined && this.draining) owner = pick(await directory.others());
        if (owner === undefined) {
          const adopted = this.draining ? undefined : await this.claim(entry, principal);
          if (adopted !== undefined) return adopted;
          if (this.draining) await sleep(100);
          continue;
        }
        const started = process.hrtime.bigint();
        const outcome = await forwardTo(owner.url, req, res, raw, directory.forwardToken(sessionId), Math.min(this.leaseMs, 2000));
        this.options.onForward?.(outcome, Number(process.hrtime.bigint() - started) / 1e9);
        if (outcome === 'answered') return 'answered';
        if (outcome === 'failed') return this.lost(req, res, owner.id, id);
        // The owner is gone without a word (killed): its lease lapses within leaseMs, then the session is ours to take.
        if (outcome === 'unreachable' && owner.id === entry.owner) await this.lapse(entry.owner);
      }
      sendJsonRpcError(res, 503, HttpErrorCode.Refused, 'The session is moving between replicas: try again', { 'Retry-After': '1' });
      return 'answered';
    } catch (err) {
      if (!(err instanceof StoreUnavailable)) throw err;
      sendJsonRpcError(res, 503, -32000, err.message, { 'Retry-After': '2' });
      return 'answered';
    }
  }

  /**
   * A 2026-07-28 retry (`requestState`) whose call another replica holds
   * (a bridged 2025-era call parked there, waiting for this answer) goes to
   * that replica. 'local' when no live replica holds it: this one serves it,
   * and core answers a parked call it does not hold with a definite error.
   * A retry another replica forwarded (`forwarded`) is never sent on.
   */
  async routeState(req: IncomingMessage, res: ServerResponse, state: string, raw: Buffer[] | undefined, id: string | number): Promise<'answered' | 'local'> {
    const { directory } = this.options;
    const hash = stateHash(state);
    const forwarded = this.checkForwarded(req, res, hash);
    if (forwarded !== undefined) return forwarded === 'answered' ? 'answered' : 'local';
    const holder = await directory.stateHolder(hash).catch(() => undefined);
    if (holder === undefined || holder === directory.self.id) return 'local';
    const owner = await directory.replica(holder).catch(() => undefined);
    if (owner === undefined) return 'local';
    const started = process.hrtime.bigint();
    const outcome = await forwardTo(owner.url, req, res, raw, directory.forwardToken(hash), Math.min(this.leaseMs, 2000));
    this.options.onForward?.(outcome, Number(process.hrtime.bigint() - started) / 1e9);
    if (outcome === 'answered') return 'answered';
    if (outcome === 'failed') return this.lost(req, res, owner.id, id);
    return 'local';
  }

  /** Records that the call `state` resumes is held here, for `ttlMs` (a parked call's life); a store that is down only costs the forward. */
  async holdState(state: string, ttlMs: number): Promise<void> {
    await this.options.directory.holdState(stateHash(state), ttlMs).catch((err: unknown) => {
      this.log.warn({ err: (err as Error).message }, 'an input_required round is not in the shared store: its retry must come back to this replica');
    });
  }

  private async claim(entry: SessionEntry, principal: Principal | undefined): Promise<Routed | undefined> {
    if (!(await this.options.directory.claim(entry.id, entry.owner))) return undefined;
    this.options.onTakeover?.(entry.owner === '' ? 'released' : 'dead');
    this.log.info({ session: entry.id.slice(0, 8), from: entry.owner || '(released)' }, 'taking a session over');
    return { adopt: { ...entry, owner: this.options.directory.self.id, ...(principal === undefined ? {} : { principal }) } };
  }

  private async lapse(owner: string): Promise<void> {
    const until = Date.now() + this.leaseMs + 500;
    while (Date.now() < until && (await this.options.directory.replica(owner)) !== undefined) await sleep(Math.min(250, this.leaseMs / 4));
  }

  private notFound(res: ServerResponse): 'answered' {
    sendJsonRpcError(res, 404, HttpErrorCode.SessionNotFound, 'Session not found');
    return 'answered';
  }

  /** The owner broke off after the request reached it: it may have run, so it is not sent again. */
  private lost(req: IncomingMessage, res: ServerResponse, owner: string, id: string | number | null): 'answered' {
    this.log.warn({ owner, method: req.method }, 'the replica holding the session broke off while answering');
    const message = `The replica holding this session (${owner}) stopped while answering; the request may or may not have run`;
    if (!res.headersSent) sendErrorResponse(res, 502, id, { code: -32000, message });
    else res.destroy();
    return 'answered';
  }
}

/** One of `replicas` at random, so a draining replica spreads what it hands on. */
const pick = <T>(replicas: readonly T[]): T | undefined => replicas[Math.floor(Math.random() * replicas.length)];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the store keys a requestState by: its SHA-256, so the state itself (a client's to keep) is never in the store. */
const stateHash = (state: string): string => createHash('sha256').update(state).digest('base64url');
