import { errorReply, LEGACY_VERSIONS, META, MODERN_VERSIONS, ProxyErrorCode, type Params, type Reply, type RequestContext, type Next } from '@mcproxy/core';
import { ask } from '../upstreams/fan-out.js';
import type { Health } from '../upstreams/health.js';
import { hintsOf, strictest } from '../upstreams/hints.js';
import { capabilitiesOf, instructionsOf, serverInfoOf } from './initialize.js';
import type { Options } from '../options.js';
import type { SessionLists } from '../lists/views.js';

/**
 * A modern client's `server/discover`: asked of every upstream (each fork
 * carries the client's own envelope), answered for the proxy as
 * `initialize` is. Upstreams that fail (one that speaks only older
 * revisions answers -32022) are left out; with none left, the client gets
 * the error. What each said also tells aggregate what it can do.
 */
export async function discover(ctx: RequestContext, next: Next, lists: SessionLists, options: Options, health: Health): Promise<Reply> {
  const replies = await Promise.all(
    ctx.upstreams.map(async (upstream) => {
      const reply = await ask(ctx, next, upstream, ctx.message, options.initializeTimeoutMs);
      health.observe(upstream, reply);
      lists.discoveries?.note(upstream, reply);
      return [upstream, reply] as const;
    }),
  );
  const answered: Array<readonly [string, Params]> = [];
  for (const [upstream, reply] of replies) {
    if (reply.error === undefined) answered.push([upstream, reply.result]);
    else ctx.log.info({ upstream, code: reply.error.code, error: reply.error.message }, 'upstream left out of server/discover');
  }
  if (answered.length === 0) {
    const first = replies[0]?.[1].error;
    const why = replies.map(([u, r]) => `${u}: ${r.error?.message ?? 'no answer'}`).join('; ');
    const data = typeof first?.data === 'object' && first.data !== null ? (first.data as Params) : {};
    return errorReply(first?.code ?? ProxyErrorCode.UpstreamUnavailable, `no upstream answered server/discover (${why || 'none configured'})`, {
      ...data,
      upstreams: ctx.upstreams,
    });
  }
  return mergeDiscover(answered, options);
}

/**
 * The proxy's discover result: every revision it serves on its endpoint
 * (modern first, then the `initialize` ones, since older clients are served
 * too), the union of the upstreams' capabilities, their instructions, its own
 * serverInfo, and hints no looser than any part's.
 */
export function mergeDiscover(answered: ReadonlyArray<readonly [string, Params]>, options: Options): Reply {
  const result: Params = {
    resultType: 'complete',
    supportedVersions: [...MODERN_VERSIONS, ...LEGACY_VERSIONS],
    capabilities: capabilitiesOf(answered),
    ...strictest(answered.map(([, r]) => hintsOf(r))),
    _meta: { [META.serverInfo]: serverInfoOf(options) },
  };
  const instructions = instructionsOf(answered, options);
  if (instructions !== undefined) result.instructions = instructions;
  return { result };
}
