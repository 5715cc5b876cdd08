export { createChannelPair, type Channel, type CloseInfo, type MessageExtra, type SendOptions } from './channel.js';
export { compose } from './compose.js';
export { ConfigError, isNotDelivered, notFound, NotDeliveredError, ProxyError, ProxyErrorCode, replyFromError, type NotFoundKind } from './errors.js';
export { defaultLimits, limitReply, LimitReporter, limitText, resolveLimits, type LimitName, type Limits } from './limits.js';
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
} from './jsonrpc.js';
export { HOPS_HEADER, HOPS_META_KEY, hopsHeader, hopsOf, parseHopsHeader, withHop } from './hops.js';
export { Link, type LinkMode, type Origin } from './link.js';
export { bindOnce, logId, silentLogger, throttledWarn, type Logger } from './logger.js';
export type { Context, Direction, Dispatch, Fork, Middleware, Next, NotificationContext, RequestContext, Terminal } from './middleware.js';
export { Peer, type PeerOptions, type RequestOptions } from './peer.js';
export { createProxy, Proxy, type ProxyOptions, type UpstreamSpec } from './proxy.js';
export { PROBE_SESSION_ID, type ProbeResult } from './probe.js';
export { defaultSupervision, type UpstreamHealth, type UpstreamState } from './supervisor.js';
export type { Reconfiguration, Reconfigured } from './reconfigure.js';
export type { SessionInfo } from './session-info.js';
export { principalKey, samePrincipal, type Principal } from './principal.js';
export { isPrincipalRef, onlyWhen, PRINCIPAL_KINDS, principalMatches, refuseUnmatched, type When } from './when.js';
export { CLOSE_HOOKS_MS, type CloseHook } from './session-close.js';
export { Session, type SessionOptions } from './session.js';
export { declares, type ClientContext, type Era } from './client-context.js';
export {
  acknowledgement,
  CACHEABLE_METHODS,
  discoveryOf,
  envelopeVersion,
  hasEnvelope,
  LEGACY_RESOURCE_NOT_FOUND,
  LEGACY_VERSIONS,
  listenerWants,
  listenFilterOf,
  LOG_LEVELS,
  logLevelAllows,
  McpErrorCode,
  META,
  MODERN_VERSION,
  MODERN_VERSIONS,
  modernReply,
  MRTR_METHODS,
  readEnvelope,
  REMOVED_METHODS,
  subscriptionIdOf,
  tagged,
  TASKS_EXTENSION,
  unsupportedVersion,
  withEnvelope,
  withoutEnvelope,
  type Discovery,
  type ListenFilter,
} from './modern.js';
export { Subscriptions } from './subscriptions.js';
export { acknowledgeListen, type ListenAck } from './listen-ack.js';
export { Seal, type SealFailure } from './seal.js';
export { defaultTimeouts, type Timeouts } from './timeouts.js';
export { defineMiddleware, type MiddlewareEnv, type MiddlewareFactory } from './define-middleware.js';
export { jsonOf, shareJson } from './json.js';
export { listOf, MCP_LISTS, TOOL_NAME, type ListKind, type ListShape } from './mcp-lists.js';
export { addGuard, deniedByGuards, GUARDS, hasGuards, type Guard } from './guards.js';
export { aliasTemplate, aliasUri, parseAlias, spellingsOf, type Spelling } from './resource-alias.js';
export { templatePattern } from './uri-template.js';
// State that outlives a request: one interface each, in-memory by default (docs/architecture.md, "State").
export { MemorySessionRecords, type SessionRecord, type SessionRecords } from './state/session-records.js';
export type { BucketShape, BucketsTaken, RateBuckets } from './state/rate-buckets.js';
export { MemorySecretKeys, type SecretKeys } from './state/keys.js';
export { MemoryConfigVersions, type ConfigVersion, type ConfigVersions } from './state/config-version.js';
