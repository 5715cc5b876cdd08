/**
 * The protocol seam, server side: what an era must do for the client of one
 * downstream session (or one 2026-07-28 request). Implemented by
 * `eras/legacy` and `eras/modern`; chosen in `eras/index.ts`.
 */
import type { ClientContext, Era } from '../chain/client-context.js';
import type { Context } from '../chain/middleware.js';
import type { Reply, Request, RequestId } from '../wire/jsonrpc.js';

/** Runs one client request through the chain with who is asking; `extra` is set on its context (a listen's acknowledgement). */
export type RunRequest = (client: ClientContext | undefined, request: Request, extra?: object) => Promise<Reply>;

export interface ServerProtocol {
  readonly era: Era;
  /** Serves one request from the client: reads its client context, runs it, shapes the reply. */
  serve(request: Request, run: RunRequest): Promise<Reply>;
  /** The client a message toward downstream goes to: the request it relates to, or the session's client. */
  clientOf(related: RequestId | undefined): ClientContext | undefined;
  /** Delivers a message of the chain to the client (the terminal toward downstream). */
  deliver(ctx: Context, related: RequestId | undefined): Promise<Reply | undefined>;
}
