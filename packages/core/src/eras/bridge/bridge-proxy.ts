import { McpErrorCode, MODERN_VERSIONS } from '../modern/modern.js';
import { JSONRPCErrorCode, type Params, type Reply, type RequestId } from '../../wire/jsonrpc.js';
import { towardClient } from '../../proxy/downstream.js';
import type { ChainHost } from '../../proxy/downstream.js';
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
export async function pushToClient(host: ChainHost, target: PushTarget, method: string, params: Params | undefined): Promise<Reply> {
  const { session, downstreamId, upstream, signal } = target;
  const message = params === undefined ? { jsonrpc: '2.0' as const, method } : { jsonrpc: '2.0' as const, method, params };
  const ctx = towardClient(host, { session, related: downstreamId, upstream, signal }, 'request', message);
  return (await host.toDownstream(ctx)) ?? { result: {} };
}
