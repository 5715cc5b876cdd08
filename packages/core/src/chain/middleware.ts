import type { Logger } from '../wire/logger.js';
import type { Notification, Reply, Request } from '../wire/jsonrpc.js';
import type { ClientContext } from './client-context.js';
import type { SessionInfo } from './session-info.js';

/** Where a message is going: toward the upstream servers, or back toward the client. */
export type Direction = 'upstream' | 'downstream';

interface BaseContext {
  readonly direction: Direction;
  /** The downstream session this message belongs to (for a 2026-07-28 request, its request scope: it lives as long as the request). */
  readonly session: SessionInfo;
  /**
   * Who is asking, and how: era, protocol version, capabilities, client info, log level. Set on
   * every context, in both eras: the one source of truth for the era (`ctx.client.era`). Toward
   * downstream, the client the message is going to. Where the client has not said who it is (a
   * 2025-era client before `initialize`) only `era` is known and `unstated` is set. A middleware
   * may replace it on a request (e.g. to drop a capability); core sends what it holds when the
   * request leaves for a 2026-07-28 upstream.
   */
  client: ClientContext;
  /** The upstream link's name where known. Toward upstream a routing middleware may set it; the terminal forwards there. */
  upstream: string | undefined;
  /** Every upstream the proxy is configured with, in configuration order. */
  readonly upstreams: readonly string[];
  /** Aborted when the request is cancelled, times out or its session closes. */
  readonly signal: AbortSignal;
  readonly log: Logger;
}

export interface RequestContext extends BaseContext {
  readonly kind: 'request';
  /** Replace or edit freely; never set an id, core owns ids. */
  message: Omit<Request, 'id'>;
}

export interface NotificationContext extends BaseContext {
  readonly kind: 'notification';
  message: Notification;
}

export type Context = RequestContext | NotificationContext;

/** What a fork changes for its branch: the upstream it goes to, the message, the signal. Everything else (session, direction, who asked) is the parent's. */
export interface Fork {
  upstream?: string;
  client?: ClientContext;
  message?: Omit<Request, 'id'> | Notification;
  signal?: AbortSignal;
}

/**
 * Calls the rest of the chain. Resolves to the reply for a request, to undefined for a
 * notification. Without an argument it runs this context and may be called once. With a fork it
 * runs a copy of the context, changed as the fork says, through the rest of the chain, and may be
 * called any number of times: that is how one request fans out to several upstreams.
 */
export type Next = (fork?: Fork) => Promise<Reply | undefined>;

/**
 * A handler in the chain. For a request it returns the reply (from `next()`, changed or not, or its
 * own); for a notification it returns undefined after passing it on, or without doing so to drop
 * it. Give the function a name: it appears in errors and stack traces.
 */
export type Middleware = (ctx: Context, next: Next) => Promise<Reply | undefined>;

/** The end of a chain: forwards to a link, or delivers to a session. */
export type Terminal = (ctx: Context) => Promise<Reply | undefined>;

/** Runs a whole chain for one message. */
export type Dispatch = (ctx: Context) => Promise<Reply | undefined>;
