/**
 * MCP 2026-07-28, the stateless revision: everything core knows about it
 * lives here (both sides), so the rest of core and every middleware see one
 * `ClientContext` whatever era a request came in.
 */
import type { ClientContext } from '../../chain/client-context.js';
import { errorReply, isObject, JSONRPCErrorCode, type Notification, type Params, type Reply } from '../../wire/jsonrpc.js';

/** The modern revisions the proxy speaks, newest first. */
export const MODERN_VERSIONS: readonly string[] = ['2026-07-28'];
/** The initialize-era revisions the proxy serves and reaches, newest first. */
export const LEGACY_VERSIONS: readonly string[] = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];
export const MODERN_VERSION = MODERN_VERSIONS[0]!;

/** Reserved `_meta` keys of the per-request envelope and of results. */
export const META = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  logLevel: 'io.modelcontextprotocol/logLevel',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
  subscriptionId: 'io.modelcontextprotocol/subscriptionId',
} as const;

const ENVELOPE_KEYS: readonly string[] = [META.protocolVersion, META.clientInfo, META.clientCapabilities, META.logLevel];

/** Error codes the 2026-07-28 revision defines (its reserved range, -32020 to -32099). */
export const McpErrorCode = {
  HeaderMismatch: -32020,
  MissingRequiredClientCapability: -32021,
  UnsupportedProtocolVersion: -32022,
} as const;

/** Resource not found: -32002 up to 2025-11-25, -32602 from 2026-07-28 on. */
export const LEGACY_RESOURCE_NOT_FOUND = -32002;

export const LOG_LEVELS: readonly string[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

/** Methods the modern revision removed; a modern client that sends one is told -32601 (404 on HTTP). */
export const REMOVED_METHODS: ReadonlySet<string> = new Set(['initialize', 'ping', 'logging/setLevel', 'resources/subscribe', 'resources/unsubscribe']);

/** Results that must carry caching hints (`ttlMs`, `cacheScope`) when complete. */
export const CACHEABLE_METHODS: ReadonlySet<string> = new Set([
  'server/discover',
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
]);

/** The requests that may answer `input_required` (multi round-trip requests). */
export const MRTR_METHODS: ReadonlySet<string> = new Set(['tools/call', 'prompts/get', 'resources/read']);

const metaOf = (params: Params | undefined): Params | undefined => (isObject(params?._meta) ? params._meta : undefined);

/** Does this message carry a modern envelope (a protocol version in `_meta`)? */
export function hasEnvelope(params: Params | undefined): boolean {
  const meta = metaOf(params);
  return meta !== undefined && meta[META.protocolVersion] !== undefined;
}

/** The protocol version a request's `_meta` names, if it names one as a string. */
export function envelopeVersion(params: Params | undefined): string | undefined {
  const v = metaOf(params)?.[META.protocolVersion];
  return typeof v === 'string' ? v : undefined;
}

/** -32022 with the versions this proxy speaks, as the spec asks. */
export function unsupportedVersion(requested: unknown, supported: readonly string[] = MODERN_VERSIONS): Reply {
  const shown = typeof requested === 'string' ? `"${requested.slice(0, 40)}"` : 'no protocol version';
  return errorReply(McpErrorCode.UnsupportedProtocolVersion, `Unsupported protocol version: ${shown}; supported: ${supported.join(', ')}`, {
    supported: [...supported],
    ...(typeof requested === 'string' ? { requested: requested.slice(0, 40) } : {}),
  });
}

/**
 * Reads a modern request's envelope into a `ClientContext`, or the error the
 * spec names: -32602 for a missing or malformed required field, -32022 for a
 * version the proxy does not speak.
 */
export function readEnvelope(params: Params | undefined): { client: ClientContext } | { error: Reply } {
  const bad = (what: string): { error: Reply } => ({ error: errorReply(JSONRPCErrorCode.InvalidParams, `Invalid params: ${what}`) });
  if (params !== undefined && !isObject(params)) return bad('params must be an object');
  const meta = metaOf(params);
  if (meta === undefined) return bad(`_meta with "${META.protocolVersion}" and "${META.clientCapabilities}" is required`);
  const version = meta[META.protocolVersion];
  if (typeof version !== 'string' || version === '') return bad(`_meta["${META.protocolVersion}"] must be a protocol version string`);
  if (!MODERN_VERSIONS.includes(version)) return { error: unsupportedVersion(version) };
  const capabilities = meta[META.clientCapabilities];
  if (!isObject(capabilities)) return bad(`_meta["${META.clientCapabilities}"] must be an object`);
  const info = meta[META.clientInfo];
  if (info !== undefined && !isObject(info)) return bad(`_meta["${META.clientInfo}"] must be an object`);
  const logLevel = meta[META.logLevel];
  if (logLevel !== undefined && (typeof logLevel !== 'string' || !LOG_LEVELS.includes(logLevel))) {
    return bad(`_meta["${META.logLevel}"] must be one of ${LOG_LEVELS.join(', ')}`);
  }
  return { client: { era: 'modern', protocolVersion: version, capabilities, info: info ?? {}, ...(logLevel === undefined ? {} : { logLevel }) } };
}

/** The params without the envelope's keys: core carries them in `ctx.client` instead. */
export function withoutEnvelope(params: Params | undefined): Params | undefined {
  const meta = metaOf(params);
  if (meta === undefined || !ENVELOPE_KEYS.some((k) => k in meta)) return params;
  const rest: Params = {};
  for (const [k, v] of Object.entries(meta)) if (!ENVELOPE_KEYS.includes(k)) rest[k] = v;
  const { _meta: _dropped, ...others } = params!;
  return Object.keys(rest).length > 0 ? { ...others, _meta: rest } : others;
}

/** The params with `client`'s envelope, at `version`, for a modern upstream. */
export function withEnvelope(params: Params | undefined, client: ClientContext, version: string): Params {
  const meta: Params = { ...metaOf(params) };
  meta[META.protocolVersion] = version;
  meta[META.clientCapabilities] = client.capabilities;
  if (Object.keys(client.info).length > 0) meta[META.clientInfo] = client.info;
  else delete meta[META.clientInfo];
  if (client.logLevel !== undefined) meta[META.logLevel] = client.logLevel;
  else delete meta[META.logLevel];
  return { ...params, _meta: meta };
}

/**
 * A reply as a modern client must get it: every result has a `resultType`
 * (absent means complete), complete cacheable results carry caching hints
 * (when nobody upstream gave any: stale at once, and private), results name
 * their server, and resource-not-found is -32602 rather than the old -32002.
 */
export function modernReply(method: string, reply: Reply, serverInfo: Params): Reply {
  if (reply.error !== undefined) {
    if (reply.error.code !== LEGACY_RESOURCE_NOT_FOUND) return reply;
    return { error: { ...reply.error, code: JSONRPCErrorCode.InvalidParams } };
  }
  const result: Params = isObject(reply.result) ? { ...reply.result } : {};
  if (typeof result.resultType !== 'string') result.resultType = 'complete';
  if (result.resultType === 'complete' && CACHEABLE_METHODS.has(method)) {
    if (typeof result.ttlMs !== 'number' || !Number.isFinite(result.ttlMs) || result.ttlMs < 0) result.ttlMs = 0;
    else result.ttlMs = Math.floor(result.ttlMs);
    if (result.cacheScope !== 'public' && result.cacheScope !== 'private') result.cacheScope = 'private';
  }
  const meta = metaOf(result);
  if (meta?.[META.serverInfo] === undefined) result._meta = { ...meta, [META.serverInfo]: serverInfo };
  return { result };
}

/** What the client of a `subscriptions/listen` asked to hear. */
export interface ListenFilter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
  /** Tasks extension: the tasks whose `notifications/tasks` the client wants. */
  taskIds?: string[];
}

/** The tasks extension's name, in capabilities' `extensions`. */
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';

const LIST_CHANGED: ReadonlyArray<readonly [keyof ListenFilter, string]> = [
  ['toolsListChanged', 'notifications/tools/list_changed'],
  ['promptsListChanged', 'notifications/prompts/list_changed'],
  ['resourcesListChanged', 'notifications/resources/list_changed'],
];

/** Most resource URIs (and, apart, most task ids) one `subscriptions/listen` may name. */
export const MAX_RESOURCE_SUBSCRIPTIONS = 1000;

/** The filter of a `subscriptions/listen` request, keeping only what is well formed. */
export function listenFilterOf(params: Params | undefined): ListenFilter {
  const asked = isObject(params?.notifications) ? params.notifications : {};
  const filter: ListenFilter = {};
  for (const [key] of LIST_CHANGED) if (asked[key] === true) (filter as Record<string, unknown>)[key] = true;
  if (Array.isArray(asked.resourceSubscriptions)) {
    const uris = asked.resourceSubscriptions.filter((u): u is string => typeof u === 'string').slice(0, MAX_RESOURCE_SUBSCRIPTIONS);
    if (uris.length > 0) filter.resourceSubscriptions = uris;
  }
  if (Array.isArray(asked.taskIds)) {
    const ids = asked.taskIds.filter((t): t is string => typeof t === 'string').slice(0, MAX_RESOURCE_SUBSCRIPTIONS);
    if (ids.length > 0) filter.taskIds = ids;
  }
  return filter;
}

/** Does a listener with this filter want this notification? */
export function listenerWants(filter: ListenFilter, notification: Notification): boolean {
  const entry = LIST_CHANGED.find(([, method]) => method === notification.method);
  if (entry !== undefined) return filter[entry[0]] === true;
  if (notification.method === 'notifications/resources/updated') {
    const uri = notification.params?.uri;
    return typeof uri === 'string' && (filter.resourceSubscriptions ?? []).includes(uri);
  }
  if (notification.method === 'notifications/tasks') {
    const id = notification.params?.taskId;
    return typeof id === 'string' && (filter.taskIds ?? []).includes(id);
  }
  return false;
}

/** A notification tagged with the subscription it belongs to (the listen request's id on the client's side). */
export function tagged(notification: Notification, subscriptionId: string | number): Notification {
  const params: Params = { ...notification.params };
  params._meta = { ...metaOf(notification.params), [META.subscriptionId]: subscriptionId };
  return { ...notification, params };
}

/** The subscription id an upstream put on a notification, if any. */
export function subscriptionIdOf(notification: Notification): string | number | undefined {
  const id = metaOf(notification.params)?.[META.subscriptionId];
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}

/** The acknowledgement a listener gets first: what the proxy will pass on. */
export function acknowledgement(filter: ListenFilter, subscriptionId: string | number): Notification {
  return tagged({ jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { notifications: { ...filter } } }, subscriptionId);
}

/** Would a modern client at this log level hear a `notifications/message` at `level`? */
export function logLevelAllows(requested: string | undefined, level: unknown): boolean {
  if (requested === undefined) return false;
  const at = typeof level === 'string' ? LOG_LEVELS.indexOf(level) : -1;
  return at >= LOG_LEVELS.indexOf(requested);
}

/** What an upstream's `server/discover` answer says of it. */
export type Discovery = { era: 'modern'; version: string; result: Params } | { era: 'legacy'; why: string };

/**
 * Reads the answer to a `server/discover` probe. A result with a supported
 * version in common is a modern upstream; a modern error (-32022) listing no
 * version in common, or any other error, means the proxy must reach it the
 * legacy way (the spec's fallback rule is not keyed to one error code).
 */
export function discoveryOf(reply: Reply): Discovery {
  if (reply.error !== undefined) {
    const supported = (reply.error.data as { supported?: unknown } | undefined)?.supported;
    if (reply.error.code === McpErrorCode.UnsupportedProtocolVersion && Array.isArray(supported)) {
      const listed = supported
        .filter((s) => typeof s === 'string')
        .slice(0, 8)
        .join(', ');
      const common = MODERN_VERSIONS.find((v) => supported.includes(v));
      if (common === undefined) return { era: 'legacy', why: `it speaks only ${listed}` };
      return { era: 'legacy', why: `it refused ${MODERN_VERSIONS.join(', ')} twice although it lists ${listed}` };
    }
    return { era: 'legacy', why: `server/discover failed: ${reply.error.message.slice(0, 200)}` };
  }
  const versions = Array.isArray(reply.result?.supportedVersions) ? reply.result.supportedVersions : [];
  const common = MODERN_VERSIONS.find((v) => versions.includes(v));
  if (common === undefined) return { era: 'legacy', why: 'its server/discover lists no version this proxy speaks' };
  return { era: 'modern', version: common, result: reply.result! };
}
