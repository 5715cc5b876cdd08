import { JSONRPCErrorCode, JSONRPCErrorException } from 'json-rpc-2.0';
import { errorReply, type Reply } from './jsonrpc.js';

/**
 * Error codes the proxy itself answers with. -32000 and -32001 keep the
 * meaning the MCP SDKs give them (connection closed, request timed out), so
 * clients that already handle those need nothing new; the rest are ours, in
 * the implementation-defined range, clear of -32002 (MCP: resource not found).
 */
export const ProxyErrorCode = {
  UpstreamClosed: -32000,
  RequestTimeout: -32001,
  SessionClosed: -32010,
  UpstreamUnavailable: -32011,
  NoRoute: -32012,
  /** The request already passed through this proxy: proxies chained in a circle. */
  LoopDetected: -32014,
  /** The request passed through more proxies than `maxHops` allows. */
  TooManyHops: -32015,
  /** A limit of the `limits:` section was hit; `data.limit` and `data.value` name it. */
  LimitExceeded: -32016,
  /** Where a shared link cannot tell which session an upstream's request belongs to, it is refused. */
  Unattributable: -32017,
  /** A rate limit refused the request; `data.retryAfterMs` says when to try again (HTTP 429 with `Retry-After` where the whole HTTP request is refused). */
  RateLimited: -32018,
} as const;

/**
 * Thrown (or rejected) by a channel's `send` when the message certainly did
 * not reach the other side: a connection refused, a stale HTTP session's 404,
 * a child that was gone before the write. Core may send such a request again
 * on a fresh link; any other send failure means the message may have arrived.
 */
export class NotDeliveredError extends Error {
  readonly notDelivered = true;
  constructor(
    message: string,
    readonly data: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'NotDeliveredError';
  }
}

/** True for a `NotDeliveredError`, also one from another copy of this package. */
export const isNotDelivered = (err: unknown): boolean => typeof err === 'object' && err !== null && (err as { notDelivered?: unknown }).notDelivered === true;

/** A copy of the `data` a transport attached to an error (an HTTP status, an exit code), if any. */
export const errorDataOf = (err: unknown): Record<string, unknown> => {
  const data = typeof err === 'object' && err !== null ? (err as { data?: unknown }).data : undefined;
  return typeof data === 'object' && data !== null && !Array.isArray(data) ? { ...(data as Record<string, unknown>) } : {};
};

/** An error that becomes a JSON-RPC error on the wire. Throw it from a middleware to answer a request with exactly this code, message and data. */
export class ProxyError extends JSONRPCErrorException {
  constructor(code: number, message: string, data?: Record<string, unknown>) {
    super(message, code, data);
    this.name = 'ProxyError';
  }
}

/** MCP 2025-11-25's URLElicitationRequiredError: the user must visit a URL first (an upstream's sign-in, say). */
export const URL_ELICITATION_REQUIRED = -32042;
/** Thrown at the edge of configuration: bad options, bad pipeline files. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Turns anything a handler threw into a reply. JSON-RPC errors keep their code; anything else is an internal error whose message a person can act on. */
export function replyFromError(err: unknown, where: string): Reply {
  if (err instanceof JSONRPCErrorException) return errorReply(err.code, err.message, err.data);
  const message = err instanceof Error ? err.message : String(err);
  return errorReply(JSONRPCErrorCode.InternalError, `${where}: ${message}`);
}

/** The kinds of things a client names in a request and a server may not have. */
export type NotFoundKind = 'tool' | 'prompt' | 'resource' | 'resource template';

/**
 * The answer for a name that does not exist. Middleware that hides or renames things answers with
 * exactly this, so a hidden tool and a tool that never existed cannot be told apart. Codes follow
 * the MCP spec: -32002 for a resource, invalid params (-32602) for the rest, as the MCP SDKs do.
 */
export function notFound(kind: NotFoundKind, name: string): Reply {
  const code = kind === 'resource' ? -32002 : JSONRPCErrorCode.InvalidParams;
  const label = kind.charAt(0).toUpperCase() + kind.slice(1);
  return errorReply(code, `${label} ${name} not found`, kind === 'resource' ? { uri: name } : undefined);
}
