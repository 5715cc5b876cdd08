import type { ClientContext } from '../../chain/client-context.js';
import { principalKey } from '../../chain/principal.js';
import { isObject, type Params, type Reply } from '../../wire/jsonrpc.js';
import type { RequestOptions } from '../../wire/outgoing.js';
import type { Origin } from '../../links/upstream-side.js';
import { META, MODERN_VERSIONS } from '../modern/modern.js';
import type { Binding } from './bridge-call.js';
import type { ParkedCalls } from './bridge-parked.js';

/** A 2025-era `InitializeResult` as a `server/discover` result. */
export function discoverFromInitialize(init: Params): Params {
  const result: Params = { supportedVersions: [...MODERN_VERSIONS], capabilities: isObject(init.capabilities) ? init.capabilities : {} };
  if (typeof init.instructions === 'string') result.instructions = init.instructions;
  if (isObject(init.serverInfo)) result._meta = { [META.serverInfo]: init.serverInfo };
  return result;
}

/** The tool or prompt name, or the resource URI, a round is bound to. */
const nameOf = (method: string, params: Params | undefined): string => String(method === 'resources/read' ? params?.uri : params?.name);

/** What a call's parked state is bound to: upstream, request, and the principal of the request that began it. */
export function bindingOf(upstream: string, method: string, params: Params | undefined, tag: Origin): Binding {
  const principal = principalKey(tag.session.principal);
  return { upstream, method, name: nameOf(method, params), ...(principal === undefined ? {} : { principal }) };
}

/**
 * The retry of a parked call: its `requestState` names the call (which runs
 * on whichever link it began on, so the retry needs none), its
 * `inputResponses` answer the round. Whatever does not fit is -32602, and
 * may cancel the call (see `ParkedCalls.reopen`).
 */
export function resumeCall(
  lot: ParkedCalls,
  upstream: string,
  method: string,
  params: Params,
  options: RequestOptions<Origin>,
  client: ClientContext | undefined,
): Promise<Reply> {
  const tag = options.tag!;
  const { requestState, inputResponses, ...rest } = params;
  const found = lot.reopen(requestState, bindingOf(upstream, method, params, tag));
  if ('error' in found) {
    found.cancel?.cancel('a retry sent a requestState that does not fit');
    return Promise.resolve(found.error);
  }
  const bad = found.call.resume(inputResponses);
  if (bad !== undefined) {
    found.call.cancel('a retry did not answer its input requests');
    return Promise.resolve(bad);
  }
  found.call.attach(tag, client, options.onProgress, isObject(rest._meta) ? rest._meta.progressToken : undefined);
  return found.call.next(options.signal ?? new AbortController().signal);
}
