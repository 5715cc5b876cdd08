/**
 * The server side of MCP up to 2025-11-25: a session's client says who it
 * is once, in `initialize`, and every request of the session carries that.
 * What goes back to the client is sent as is, with the request it belongs
 * to; a request the client did not declare it can answer is refused.
 */
import { declares, type ClientContext } from '../../chain/client-context.js';
import type { Context } from '../../chain/middleware.js';
import { ProxyErrorCode } from '../../wire/errors.js';
import { errorReply, isObject, JSONRPCErrorCode, type Params, type Reply, type Request, type RequestId } from '../../wire/jsonrpc.js';
import type { ChainHost } from '../../proxy/downstream.js';
import type { RunRequest, ServerProtocol } from '../../proxy/server-side.js';
import type { Session } from '../../proxy/session.js';

/** Which client capability a request that an upstream starts needs. */
export const NEEDS: Readonly<Record<string, string>> = {
  'elicitation/create': 'elicitation',
  'sampling/createMessage': 'sampling',
  'roots/list': 'roots',
};

/** What a client said of itself in `initialize`, as the context every request of its session carries. */
export function clientOfHello(params: Params): ClientContext {
  return {
    era: 'legacy',
    protocolVersion: typeof params.protocolVersion === 'string' ? params.protocolVersion : '',
    capabilities: isObject(params.capabilities) ? params.capabilities : {},
    info: isObject(params.clientInfo) ? params.clientInfo : {},
  };
}

export class LegacyServer implements ServerProtocol {
  readonly era = 'legacy';

  constructor(
    private readonly session: Session,
    private readonly host: ChainHost,
  ) {}

  /** `initialize` is remembered (core needs it to re-open links and to check capabilities); every request carries the session's client. */
  serve(request: Request, run: RunRequest): Promise<Reply> {
    if (request.method === 'initialize' && request.params !== undefined) this.session.client = clientOfHello(request.params);
    return run(this.session.client, request);
  }

  clientOf(): ClientContext | undefined {
    return this.session.client;
  }

  /** The terminal toward a 2025-era client: sends to the session, tied to the request it belongs to. */
  async deliver(ctx: Context, related: RequestId | undefined): Promise<Reply | undefined> {
    const { session, host } = this;
    const options = related !== undefined && session.peer.isPending(related) ? { relatedRequestId: related } : undefined;
    if (ctx.kind === 'notification') {
      await session.peer.notify(ctx.message, options);
      return undefined;
    }
    if (!session.peer.open) {
      return errorReply(ProxyErrorCode.SessionClosed, `the client session for this ${ctx.message.method} has closed`, { upstream: ctx.upstream });
    }
    const capability = NEEDS[ctx.message.method];
    if (capability !== undefined && !declares(session.client, capability)) {
      return errorReply(
        JSONRPCErrorCode.MethodNotFound,
        `the client did not declare the "${capability}" capability, so it cannot answer ${ctx.message.method}`,
        {
          upstream: ctx.upstream,
        },
      );
    }
    // A person may be answering (sampling, elicitation): only the hard limit applies.
    const max = host.timeouts.maxMs;
    return session.peer.request(ctx.message.method, ctx.message.params, {
      signal: ctx.signal,
      relatedRequestId: options?.relatedRequestId,
      timeouts: { requestMs: max, maxMs: max, resetOnProgress: false },
      onProgress: (params) => {
        const link = ctx.upstream === undefined ? undefined : host.linkFor(ctx.upstream, session);
        void link?.then(
          (l) => l.peer.notify({ jsonrpc: '2.0', method: 'notifications/progress', params }),
          () => undefined,
        );
      },
    });
  }
}
