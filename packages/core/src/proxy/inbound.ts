import type { ClientContext } from '../chain/client-context.js';
import { MADE_CONTEXT, type Cancellation } from '../wire/cancellation.js';

import type { Context } from '../chain/middleware.js';
import { cut, hopRefusal, hopsOf, logHops } from '../wire/hops.js';
import type { Notification, Params, Reply, Request, RequestId } from '../wire/jsonrpc.js';
import { limitReply, type LimitReporter, type Limits } from '../wire/limits.js';
import { logId } from '../wire/logger.js';
import { serverSideOf } from '../eras/index.js';
import type { ChainHost } from './downstream.js';
import type { Session } from './session.js';

/** What the way in needs of the proxy: its name in hop lists, the most hops a request may have made, its limits and its name. */
export interface InboundHost {
  readonly id: string;
  readonly maxHops: number;
  readonly limits: Limits;
  readonly limitReporter: LimitReporter;
  readonly serverInfo: Params;
}

/**
 * The way in: every message a client sends passes here. Requests that went round a loop of proxies,
 * or past `maxHops`, are refused; a session's requests in flight are counted against
 * `limits.requestsPerSession`; the session's era serves each request (reads who is asking, shapes
 * the reply); the message runs through the chain.
 */
export class Inbound {
  constructor(
    private readonly host: InboundHost,
    private readonly chain: ChainHost,
    /** Runs a context through the chain toward the upstreams. */
    private readonly toUpstream: (ctx: Context) => Promise<Reply | undefined>,
  ) {}

  async receive(session: Session, message: Request | Notification, cancel: Cancellation): Promise<Reply> {
    const { host } = this;
    const refused = hopRefusal(message, host.id, host.maxHops);
    if (refused !== undefined) {
      session.log.warn({ method: message.method, hops: logHops(hopsOf(message.params)) }, cut(refused.error?.message ?? '', 300));
      return refused;
    }
    if (!('id' in message)) return this.run(session, session.client, message, cancel);
    const count = session.inFlight;
    const max = host.limits.requestsPerSession;
    if (count >= max) {
      host.limitReporter.hit('requestsPerSession', max, { session: logId(session.id), method: message.method });
      return limitReply('requestsPerSession', max, `${message.method} refused: this session already has ${count} requests in flight`);
    }
    session.inFlight = count + 1;
    try {
      // The era is the transport's word, or the first request's.
      session.protocol ??= serverSideOf(message, session, this.chain, host.serverInfo);
      return await session.protocol.serve(message, (client, request, extra) => this.run(session, client, request, cancel, extra));
    } finally {
      session.inFlight -= 1;
    }
  }

  /** Requests in flight over `sessions`. */
  count(sessions: Iterable<Session>): number {
    let n = 0;
    for (const session of sessions) n += session.inFlight;
    return n;
  }

  /** Runs one message from a client through the chain, with who is asking. */
  private async run(
    session: Session,
    client: ClientContext | undefined,
    message: Request | Notification,
    cancel: Cancellation,
    extra?: object,
  ): Promise<Reply> {
    const { chain } = this;
    const names = chain.upstreams;
    // With one upstream the route is known before any middleware runs.
    const upstream = names.length === 1 ? names[0] : undefined;
    const who = client ?? session.clientOf(undefined);
    let id: RequestId | undefined;
    let body: Omit<Request, 'id'> | Notification = message;
    if ('id' in message) ({ id, ...body } = message);
    const kind = 'id' in message ? 'request' : 'notification';
    // biome-ignore format: one literal; its prototype's `signal` is made only when read
    const ctx = { __proto__: MADE_CONTEXT, direction: 'upstream', session, client: who, upstream, upstreams: names, log: session.log, kind, message: body, cancellation: cancel } as unknown as Context;
    if (id !== undefined) chain.relate(ctx, id);
    if (extra !== undefined) Object.assign(ctx, extra);
    return (await this.toUpstream(ctx)) ?? { result: {} };
  }
}
