export { createChannelPair, type Channel, type CloseInfo, type MessageExtra, type SendOptions } from './wire/channel.js';
export { compose } from './chain/compose.js';
export { ConfigError, isNotDelivered, notFound, NotDeliveredError, ProxyError, ProxyErrorCode, replyFromError, type NotFoundKind } from './wire/errors.js';
export { URL_ELICITATION_REQUIRED } from './wire/errors.js';
export { defaultLimits, limitReply, LimitReporter, limitText, resolveLimits, type LimitName, type Limits } from './wire/limits.js';
export {
  classify,
  errorReply,
  isObject,
  isRequest,
  JSONRPCErrorCode,
  toResponse,
  type Classified,
  type ErrorResponse,
  type JSONRPCError,
  type Message,
  type Notification,
  type Params,
  type Reply,
  type Request,
  type RequestId,
  type Response,
  type ResultResponse,
} from './wire/jsonrpc.js';
export { HOPS_META_KEY, hopsOf, withHop } from './wire/hops.js';
export { Link, type LinkMode } from './links/link.js';
export type { Origin } from './links/upstream-side.js';
export type { ConnectContext, UpstreamSpec } from './links/upstream-spec.js';
export { bindOnce, logId, silentLogger, throttledWarn, type Logger } from './wire/logger.js';
export type { Context, Direction, Dispatch, Fork, Middleware, Next, NotificationContext, RequestContext, Terminal } from './chain/middleware.js';
export { Peer, type PeerOptions } from './wire/peer.js';
export { abortedOf, Cancellation, onAbort, type Abort } from './wire/cancellation.js';
export type { RequestOptions } from './wire/outgoing.js';
export { createProxy, Proxy, type ProxyOptions } from './proxy/proxy.js';
export { defaultSupervision, type UpstreamHealth, type UpstreamState } from './links/supervisor.js';
export type { Reconfiguration, Reconfigured } from './links/reconfigure.js';
export type { SessionInfo } from './chain/session-info.js';
export { principalKey, samePrincipal, type Principal } from './chain/principal.js';
export { CLOSE_HOOKS_MS, type CloseHook } from './chain/session-close.js';
export { Session, type SessionOptions } from './proxy/session.js';
export { declares, unstatedClient, type ClientContext, type Era } from './chain/client-context.js';
export * from './eras/public.js';
export { defaultTimeouts, type Timeouts } from './wire/timeouts.js';
export { defineMiddleware, type MiddlewareEnv, type MiddlewareFactory } from './chain/define-middleware.js';
export { jsonOf, shareJson } from './wire/json.js';
// State that outlives a request: one interface each, in-memory by default (docs/architecture.md, "State").
export { MemorySessionRecords, type SessionRecord, type SessionRecords } from './state/session-records.js';
export type { ParkedTable } from './state/parked-calls.js';
export { MemoryParkedTable } from './eras/bridge/parked-table.js';
export type { BucketShape, BucketsTaken, RateBuckets } from './state/rate-buckets.js';
export { MemorySecretKeys, type SecretKeys } from './state/keys.js';
export type { ConfigVersion, ConfigVersions } from './state/config-version.js';
export type { EventLog, SessionEventLog } from './state/event-log.js';
export type { Listeners } from './state/listeners.js';
