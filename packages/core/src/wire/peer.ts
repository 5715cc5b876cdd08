import { Cancellation, onAbort } from './cancellation.js';
import type { Channel, CloseInfo, MessageExtra, SendOptions } from './channel.js';
import { errorDataOf, isNotDelivered, ProxyErrorCode, replyFromError } from './errors.js';
import {
  classify,
  errorReply,
  JSONRPCErrorCode,
  toResponse,
  type Notification,
  type Params,
  type Reply,
  type Request,
  type RequestId,
  type Response,
} from './jsonrpc.js';
import type { Logger } from './logger.js';
import { isToken, OutgoingRequests, type RequestOptions } from './outgoing.js';

export interface PeerOptions {
  channel: Channel;
  /** How errors name this peer, e.g. `upstream "files"`. */
  label: string;
  /** Attached as `data` to every error core answers on this peer's behalf. */
  errorData: Record<string, unknown>;
  /** The code for requests left in flight when the peer closes. */
  closedCode: number;
  log: Logger;
}

interface Incoming {
  cancel: Cancellation;
  cancelled: boolean;
  /** Made by the first `hold`: most requests have none. */
  holds: Promise<unknown>[] | undefined;
}

/**
 * One side of a JSON-RPC conversation over a channel. It owns everything about ids: requests it
 * sends get fresh ids (and fresh progress tokens), so many callers can share one wire; answers,
 * progress and cancellations are matched back; every request has a deadline; when the channel
 * closes, every request still waiting is answered at once with an error naming the peer.
 */
export class Peer<Tag = unknown> {
  onrequest?: (request: Request, cancel: Cancellation, extra?: MessageExtra) => Promise<Reply>;
  onnotification?: (notification: Notification, extra?: MessageExtra) => void;
  onclose?: (info?: CloseInfo) => void;
  closed = false;
  /** Why the channel closed, when its transport said. */
  closeInfo: CloseInfo | undefined;
  /** True when this side called `close`: the channel did not just go away. */
  closedByUs = false;
  private closing = false;
  private readonly outgoing: OutgoingRequests<Tag>;
  private readonly incoming = new Map<RequestId, Incoming>();

  constructor(private readonly opts: PeerOptions) {
    this.outgoing = new OutgoingRequests<Tag>({ label: opts.label, errorData: opts.errorData, cancel: (id, reason) => this.cancel(id, reason) });
    opts.channel.onmessage = (message, extra) => this.receive(message, extra);
    opts.channel.onclose = (info) => this.shutdown(info);
    opts.channel.onerror = (err) => opts.log.warn({ err }, `${opts.label}: transport error`);
  }

  get label(): string {
    return this.opts.label;
  }

  get inFlight(): number {
    return this.outgoing.size;
  }

  start(): Promise<void> {
    return this.opts.channel.start();
  }

  /** Sends a request with a fresh id and resolves to its reply. Rejects only when `signal` aborts it. */
  request(method: string, params: Params | undefined, options: RequestOptions<Tag> = {}): Promise<Reply> {
    if (this.closed) return Promise.resolve(this.closedReply(method));
    const abort = options.cancel ?? options.signal;
    if (abort?.aborted) return Promise.reject(abort.reason);
    return new Promise<Reply>((resolve, reject) => {
      let stop = (): void => undefined;
      const { entry, params: sent } = this.outgoing.add(method, params, options, { resolve, reject, cleanup: () => stop() });
      stop = onAbort(abort, (reason) => {
        this.cancel(entry.id, reason instanceof Error ? reason.message : 'cancelled');
        entry.fail(reason);
      });
      const message: Request = sent === undefined ? { jsonrpc: '2.0', id: entry.id, method } : { jsonrpc: '2.0', id: entry.id, method, params: sent };
      const sendOptions: SendOptions | undefined = options.relatedRequestId === undefined ? undefined : { relatedRequestId: options.relatedRequestId };
      this.opts.channel.send(message, sendOptions).then(
        () => {
          entry.sending = false;
          if (this.closed) entry.settle(this.closedReply(method));
        },
        (err: unknown) => {
          entry.sending = false;
          const why = err instanceof Error ? err.message : String(err);
          const data = { ...this.opts.errorData, ...errorDataOf(err) };
          // Surely not delivered: safe to send again, and core does so once on a fresh link.
          if (isNotDelivered(err))
            entry.settle(errorReply(ProxyErrorCode.UpstreamUnavailable, `${this.label} could not be sent ${method}: ${why}`, { ...data, delivered: false }));
          else entry.settle(errorReply(this.opts.closedCode, `${this.label} closed before answering ${method}: ${why}`, data));
        },
      );
    });
  }

  /** Sends a notification. Errors are logged, not thrown: a notification has no one to answer. */
  async notify(notification: Notification, options?: SendOptions): Promise<void> {
    if (this.closed) return;
    await this.opts.channel.send(notification, options).catch((err: unknown) => {
      this.opts.log.warn({ err, method: notification.method }, `${this.label}: could not send notification`);
    });
  }

  /**
   * Keeps the response to incoming request `id` back until `work` settles, so
   * progress and other messages about a request never arrive after its answer.
   * Returns false when that request has already been answered.
   */
  hold(id: RequestId, work: Promise<unknown>): boolean {
    const entry = this.incoming.get(id);
    if (entry === undefined) return false;
    (entry.holds ??= []).push(work);
    return true;
  }

  /** Is incoming request `id` still waiting for its answer? */
  isPending(id: RequestId): boolean {
    return this.incoming.has(id);
  }

  /**
   * The tag of the request an incoming message belongs to, by the id the transport gave; with
   * `newest`, the newest request in flight when there is no such id.
   */
  attribute(relatedRequestId?: RequestId, newest = true): { tag: Tag | undefined; id: RequestId } | undefined {
    return this.outgoing.attribute(relatedRequestId, newest);
  }

  /** The tags of every request in flight. */
  tags(): Array<Tag | undefined> {
    return this.outgoing.all().map((e) => e.tag);
  }

  /** False from the moment `close` is called: a closing peer takes no new work. */
  get open(): boolean {
    return !this.closed && !this.closing;
  }

  /**
   * Closes the channel. Requests the other side is still waiting on are answered first with an
   * error saying why, so a client is never left to its own timeout.
   */
  async close(reason = `${this.label} is closing`): Promise<void> {
    if (this.closed || this.closing) return;
    this.closing = true;
    this.closedByUs = true;
    const answers = [...this.incoming.entries()]
      .filter(([, e]) => !e.cancelled)
      .map(([id, e]) => {
        e.cancelled = true;
        e.cancel.abort(new Error(reason));
        const reply = errorReply(this.opts.closedCode, reason, this.opts.errorData);
        return this.opts.channel.send(toResponse(id, reply), { relatedRequestId: id }).catch(() => undefined);
      });
    await Promise.all(answers);
    await this.opts.channel.close().catch((err: unknown) => this.opts.log.warn({ err }, `${this.label}: close failed`));
    this.shutdown();
  }

  private cancel(id: RequestId, reason: string): void {
    void this.notify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason } });
  }

  private closedReply(method: string): Reply {
    const info = this.closeInfo;
    // Transports name the upstream in their reasons: said once is enough.
    const why = info === undefined ? '' : `: ${info.reason.replace(`${this.label} `, '')}`;
    return errorReply(this.opts.closedCode, `${this.label} closed before answering ${method}${why}`, { ...this.opts.errorData, ...info?.data });
  }

  private receive(raw: unknown, extra?: MessageExtra): void {
    const c = classify(raw);
    if (c.kind === 'response') this.onResponse(c.message);
    else if (c.kind === 'request') void this.onRequest(c.message, extra);
    else if (c.kind === 'notification') this.onNotification(c.message, extra);
    else {
      this.opts.log.warn({ reason: c.reason }, `${this.label} sent an invalid message`);
      const looksLikeResponse = typeof raw === 'object' && raw !== null && !Array.isArray(raw) && !('method' in raw);
      if (!looksLikeResponse) {
        void this.opts.channel
          .send({ jsonrpc: '2.0', id: c.id, error: { code: JSONRPCErrorCode.InvalidRequest, message: `Invalid request: ${c.reason}` } })
          .catch(() => {});
      }
    }
  }

  private onResponse(response: Response): void {
    const entry = response.id === null ? undefined : this.outgoing.get(response.id);
    if (entry === undefined) {
      this.opts.log.debug({ id: response.id }, `${this.label}: answer to no request in flight (cancelled or timed out)`);
      return;
    }
    entry.settle(response.error !== undefined ? { error: response.error } : { result: response.result });
  }

  private async onRequest(request: Request, extra?: MessageExtra): Promise<void> {
    if (this.incoming.has(request.id)) {
      const reply = errorReply(JSONRPCErrorCode.InvalidRequest, `request id ${JSON.stringify(request.id)} is already in use by a request in flight`);
      await this.opts.channel.send(toResponse(request.id, reply)).catch(() => {});
      return;
    }
    const entry: Incoming = { cancel: new Cancellation(), cancelled: false, holds: undefined };
    this.incoming.set(request.id, entry);
    let reply: Reply | undefined;
    try {
      reply = this.onrequest
        ? await this.onrequest(request, entry.cancel, extra)
        : errorReply(JSONRPCErrorCode.MethodNotFound, `Method not found: ${request.method}`);
    } catch (err) {
      if (!entry.cancelled) reply = replyFromError(err, this.label);
    }
    // Work started for this request may add more holds while we wait.
    for (let seen = 0; entry.holds !== undefined && seen < entry.holds.length; seen = entry.holds.length) {
      await Promise.allSettled(entry.holds.slice(seen));
    }
    this.incoming.delete(request.id);
    if (entry.cancelled || this.closed || reply === undefined) return;
    await this.opts.channel.send(toResponse(request.id, reply), { relatedRequestId: request.id }).catch((err: unknown) => {
      this.opts.log.warn({ err, method: request.method }, `${this.label}: could not send answer`);
    });
  }

  private onNotification(notification: Notification, extra?: MessageExtra): void {
    const params = notification.params ?? {};
    if (notification.method === 'notifications/cancelled') {
      const entry = isToken(params.requestId) ? this.incoming.get(params.requestId) : undefined;
      if (entry && !entry.cancelled) {
        entry.cancelled = true;
        entry.cancel.abort(new Error(typeof params.reason === 'string' ? params.reason : 'cancelled by the peer'));
      }
      return;
    }
    if (notification.method === 'notifications/progress' && this.outgoing.progress(params)) return;
    this.onnotification?.(notification, extra);
  }

  private shutdown(info?: CloseInfo): void {
    if (this.closed) return;
    this.closed = true;
    this.closeInfo = info;
    this.outgoing.answerAll((method) => this.closedReply(method));
    for (const entry of this.incoming.values()) {
      entry.cancelled = true;
      entry.cancel.abort(new Error(`${this.label} closed`));
    }
    this.onclose?.(info);
  }
}
