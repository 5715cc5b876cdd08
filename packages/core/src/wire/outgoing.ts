import type { Cancellation } from './cancellation.js';
import { ProxyErrorCode } from './errors.js';
import { errorReply, type Params, type Reply, type RequestId } from './jsonrpc.js';
import { defaultTimeouts, type Timeouts } from './timeouts.js';

export interface RequestOptions<Tag> {
  signal?: AbortSignal | undefined;
  /** Core's own cancellation, in place of `signal` (cheaper: no AbortSignal is made for it). */
  cancel?: Cancellation | undefined;
  relatedRequestId?: RequestId | undefined;
  /** Progress for this request, with the caller's own token put back. */
  onProgress?: ((params: Params) => void) | undefined;
  /** Who the request is for: used to attribute what the peer sends back. */
  tag?: Tag | undefined;
  timeouts?: Timeouts | undefined;
}

/** One request a peer sent and still waits on. */
export interface Outgoing<Tag> {
  id: number;
  method: string;
  tag: Tag | undefined;
  token?: number;
  originalToken?: string | number;
  onProgress: ((params: Params) => void) | undefined;
  timeouts: Timeouts;
  timer?: NodeJS.Timeout;
  hardTimer?: NodeJS.Timeout;
  /** When it was sent (ms since the epoch), for the hard limit. */
  sentAt: number;
  /** The channel's `send` has not settled yet: whether it arrived is still unknown. */
  sending: boolean;
  settle(reply: Reply): void;
  fail(reason: unknown): void;
}

/** What the table needs from its peer to time a request out. */
export interface OutgoingHost {
  readonly label: string;
  readonly errorData: Record<string, unknown>;
  /** Tells the other side to stop working on request `id`. */
  cancel(id: RequestId, reason: string): void;
}

/** How a new entry ends: the caller's promise, and what else to undo when it settles. */
export interface Settlers {
  resolve(reply: Reply): void;
  reject(reason: unknown): void;
  cleanup(): void;
}

/** A JSON-RPC id or progress token: a string or a number (0 and "" included). */
export const isToken = (t: unknown): t is string | number => typeof t === 'string' || typeof t === 'number';

/**
 * The requests a peer has in flight, by id and by progress token. Each gets a fresh id and, if the
 * caller asked for progress, a fresh token in place of the caller's (so many callers can share one
 * wire), and a deadline that answers it with a timeout error and cancels it on the other side.
 */
export class OutgoingRequests<Tag> {
  private nextId = 0;
  private nextToken = 0;
  private readonly byId = new Map<RequestId, Outgoing<Tag>>();
  private readonly byToken = new Map<string | number, Outgoing<Tag>>();

  constructor(private readonly host: OutgoingHost) {}

  get size(): number {
    return this.byId.size;
  }

  get(id: RequestId): Outgoing<Tag> | undefined {
    return this.byId.get(id);
  }

  /** Every request in flight, oldest first. */
  all(): Array<Outgoing<Tag>> {
    return [...this.byId.values()];
  }

  /** The request `relatedRequestId` names, else (with `newest`) the newest in flight: its tag and id. */
  attribute(relatedRequestId: RequestId | undefined, newest: boolean): { tag: Tag | undefined; id: RequestId } | undefined {
    const byId = relatedRequestId === undefined ? undefined : this.byId.get(relatedRequestId);
    const entry = byId ?? (newest ? this.all().at(-1) : undefined);
    return entry && { tag: entry.tag, id: entry.id };
  }

  /** Enters a request with a fresh id and arms its deadline. Returns the entry and the params to send (the caller's progress token swapped for ours). */
  add(method: string, params: Params | undefined, options: RequestOptions<Tag>, settlers: Settlers): { entry: Outgoing<Tag>; params: Params | undefined } {
    const id = ++this.nextId;
    const done = (): void => {
      this.byId.delete(id);
      if (entry.token !== undefined) this.byToken.delete(entry.token);
      clearTimeout(entry.timer);
      clearTimeout(entry.hardTimer);
      settlers.cleanup();
    };
    const entry: Outgoing<Tag> = {
      id,
      method,
      tag: options.tag,
      onProgress: options.onProgress,
      timeouts: options.timeouts ?? defaultTimeouts,
      sentAt: Date.now(),
      sending: true,
      settle: (reply) => {
        done();
        settlers.resolve(reply);
      },
      fail: (reason) => {
        done();
        settlers.reject(reason);
      },
    };
    let sent = params;
    const token = (params?._meta as Params | undefined)?.progressToken;
    if (isToken(token)) {
      entry.token = ++this.nextToken;
      entry.originalToken = token;
      sent = { ...params, _meta: { ...(params?._meta as Params), progressToken: entry.token } };
      this.byToken.set(entry.token, entry);
    }
    this.byId.set(id, entry);
    this.arm(entry, true);
    return { entry, params: sent };
  }

  /**
   * Progress for one of our requests goes to its caller under the caller's own token, and pushes
   * the deadline on where the timeouts allow. False when the token is none of ours.
   */
  progress(params: Params): boolean {
    const entry = isToken(params.progressToken) ? this.byToken.get(params.progressToken) : undefined;
    if (entry === undefined) return false;
    if (entry.timeouts.resetOnProgress) this.arm(entry, false);
    entry.onProgress?.({ ...params, progressToken: entry.originalToken });
    return true;
  }

  /** Answers every request still waiting, as the channel closes, with `replyFor(method)`. */
  answerAll(replyFor: (method: string) => Reply): void {
    for (const entry of this.all()) {
      // A send still under way decides for itself (a transport rejects one it could not deliver
      // just as it closes); if it settles neither way, the entry is answered a moment later.
      if (entry.sending) setImmediate(() => entry.settle(replyFor(entry.method)));
      else entry.settle(replyFor(entry.method));
    }
  }

  /**
   * One timer per request on the hot path: the request deadline (or the hard limit, if that is
   * sooner). The hard limit gets a timer of its own only when progress first pushes the request
   * deadline on, which most requests never see.
   */
  private arm(entry: Outgoing<Tag>, first: boolean): void {
    const { requestMs, maxMs } = entry.timeouts;
    clearTimeout(entry.timer);
    // A request meant to last (a 2026-07-28 subscriptions/listen) ends when it is cancelled or its link closes.
    if (requestMs === Infinity && maxMs === Infinity) return;
    if (first && maxMs <= requestMs) {
      entry.timer = setTimeout(() => this.expire(entry, maxMs), maxMs);
      return;
    }
    entry.timer = setTimeout(() => this.expire(entry, requestMs), requestMs);
    if (!first && entry.hardTimer === undefined && maxMs > requestMs) {
      const left = Math.max(0, entry.sentAt + maxMs - Date.now());
      entry.hardTimer = setTimeout(() => this.expire(entry, maxMs), left);
    }
  }

  private expire(entry: Outgoing<Tag>, ms: number): void {
    this.host.cancel(entry.id, `timed out after ${ms} ms`);
    entry.settle(
      errorReply(ProxyErrorCode.RequestTimeout, `${this.host.label} did not answer ${entry.method} within ${ms} ms`, { ...this.host.errorData, timeoutMs: ms }),
    );
  }
}
