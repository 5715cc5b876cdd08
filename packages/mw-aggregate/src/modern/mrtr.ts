import { errorReply, JSONRPCErrorCode, MRTR_METHODS, principalKey, type Params, type Reply, type RequestContext } from '@mcproxy/core';
import type { Opened, StateSeal } from './sealed-state.js';

/** A modern request that may answer input_required, with the name or URI the client gave it. */
export interface Round {
  method: string;
  name: string;
}

/** The round a request is, if it is one: only modern tools/call, prompts/get and resources/read. */
export function roundOf(ctx: RequestContext): Round | undefined {
  const { method } = ctx.message;
  if (ctx.client.era !== 'modern' || !MRTR_METHODS.has(method)) return undefined;
  const params = ctx.message.params ?? {};
  return { method, name: String(method === 'resources/read' ? params.uri : params.name) };
}

/**
 * The retry of a round: its sealed state checked (a state that fails is the
 * client's answer), or undefined for a first round.
 */
export function reopen(ctx: RequestContext, round: Round, seal: StateSeal): Opened | { error: Reply } | undefined {
  const state = ctx.message.params?.requestState;
  if (state === undefined) return undefined;
  return seal.open(state, round.method, round.name, ctx.upstreams, principalKey(ctx.session.principal));
}

/** The params as the upstream of the round gave them out: its own state back, or none if it gave none. */
export function restored(params: Params, opened: Opened): Params {
  const { requestState: _sealed, ...rest } = params;
  return opened.state === undefined ? rest : { ...rest, requestState: opened.state };
}

/** A name that now reaches another upstream than the one that began the round (lists changed between rounds). */
export const movedOn = (round: Round): Reply =>
  errorReply(
    JSONRPCErrorCode.InvalidParams,
    `Invalid params: requestState was issued by another server than the one "${round.name.slice(0, 100)}" reaches now; send the request again without it`,
  );

/**
 * An input_required answer from `upstream` with its state sealed, so the
 * retry comes back to it; also when it gave no state (only inputRequests),
 * since the retry must still find it. `inputRequests` pass as they are.
 */
export function sealed(ctx: RequestContext, reply: Reply, round: Round, upstream: string, seal: StateSeal): Reply {
  if (reply.result?.resultType !== 'input_required') return reply;
  const own = reply.result.requestState;
  const state = seal.seal(upstream, typeof own === 'string' ? own : undefined, round.method, round.name, principalKey(ctx.session.principal));
  return { result: { ...reply.result, requestState: state } };
}
