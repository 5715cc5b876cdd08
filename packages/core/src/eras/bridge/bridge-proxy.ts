import { McpErrorCode, MODERN_VERSIONS } from '../modern/modern.js';
import { JSONRPCErrorCode, type Params, type Reply, type RequestId } from '../../wire/jsonrpc.js';
import type { Context } from '../../chain/middleware.js';
import type { Proxy } from '../../proxy/proxy.js';
import type { Session } from '../../proxy/session.js';

/**
 * Does this answer to a legacy `initialize` say the upstream speaks only
 * 2026-07-28? A -32022 listing a modern revision, a -32601 (no such
 * method), or a result that names a modern revision.
 */
export function refusesLegacy(reply: Reply): boolean {
  if (reply.error !== undefined) {
    if (reply.error.code === JSONRPCErrorCode.MethodNotFound) return true;
    const supported = (reply.error.data as { supported?: unknown } | undefined)?.supported;
    return reply.error.code === McpErrorCode.UnsupportedProtocolVersion && Array.isArray(supported) && MODERN_VERSIONS.some((v) => supported.includes(v));
  }
  const version = reply.result?.protocolVersion;
  return typeof version === 'string' && MODERN_VERSIONS.includes(version);
}

/** The request a bridged call is serving: whom to ask, in whose name. */
export interface PushTarget {
  session: Session;
  downstreamId: RequestId | undefined;
  upstream: string;
  signal: AbortSignal;
}

/** Sends a request to a 2025-era client through the chain, toward downstream, tied to the request it is for. */
export async function pushToClient(proxy: Proxy, target: PushTarget, method: string, params: Params | undefined): Promise<Reply> {
  const { session, downstreamId, upstream, signal } = target;
  const ctx: Context = {
    kind: 'request',
    direction: 'downstream',
    session,
    client: session.client,
    upstream,
    upstreams: proxy.names,
    signal,
    log: session.log,
    message: params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params },
  };
  if (downstreamId !== undefined) proxy.origins.set(ctx, downstreamId);
  return (await proxy.toDownstream(ctx)) ?? { result: {} };
}
