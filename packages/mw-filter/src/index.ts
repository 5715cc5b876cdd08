import { defineMiddleware, errorReply, JSONRPCErrorCode, listOf, notFound, type Context, type Reply } from '@mcproxy/core';
import { filterOptionsSchema } from './options.js';
import { RuleSet } from './rules.js';
import { filterList, targetOf } from './targets.js';

export { filterOptionsSchema, type FilterKind, type FilterOptions, type FilterRule } from './options.js';
export { compileGlob, RuleSet, type Glob } from './rules.js';

/**
 * Per-upstream rules need to know the upstream. Before a routing middleware
 * (mw-aggregate) a message for several upstreams has none yet: refusing
 * loudly beats skipping the rules, which would expose what they hide.
 */
const misplaced = (ctx: Context, rules: RuleSet): boolean =>
  ctx.upstream === undefined && ctx.upstreams.length > 1 && rules.upstreams.length > 0;

/**
 * Exposes only the tools, prompts, resources and resource templates the
 * rules allow. Lists are filtered on the way back; a request that names a
 * hidden item gets exactly the answer for an item that does not exist
 * (`notFound`); `notifications/resources/updated` for a hidden URI is dropped.
 *
 * @example
 * const mw = filter({ tools: { deny: ['delete_*'] } }, { log });
 */
export const filter = defineMiddleware('filter', filterOptionsSchema, (options, env) => {
  const rules = new RuleSet(options);
  // Closure state, one per pipeline entry: each warning is said once, not per message.
  let toldMisplaced = false;
  const toldUnknown = new Set<string>();

  const misplacedReply = (ctx: Context): Reply => {
    const names = rules.upstreams.join(', ');
    const message = `filter has rules for upstream(s) ${names} but sits before the middleware that routes to upstreams, so it cannot tell which upstream ${ctx.message.method} is for: move filter after aggregate in the pipeline`;
    if (!toldMisplaced) {
      toldMisplaced = true;
      env.log.error({ upstreams: rules.upstreams, method: ctx.message.method }, message);
    }
    return errorReply(JSONRPCErrorCode.InternalError, message);
  };

  const checkNames = (ctx: Context): void => {
    for (const name of rules.upstreams) {
      if (ctx.upstreams.includes(name) || toldUnknown.has(name)) continue;
      toldUnknown.add(name);
      env.log.warn({ upstream: name, upstreams: ctx.upstreams }, `filter has rules for upstream "${name}", but no upstream has that name`);
    }
  };

  return async function filter(ctx, next) {
    checkNames(ctx);
    const { method, params } = ctx.message;
    if (ctx.kind === 'notification') {
      // What an upstream says about a resource the client may not see stays unsaid.
      if (ctx.direction === 'downstream' && method === 'notifications/resources/updated') {
        const uri = params?.uri;
        if (typeof uri === 'string' && !rules.allows('resources', ctx.upstream, uri)) return undefined;
      }
      return next();
    }
    if (ctx.direction === 'downstream') return next();
    const list = listOf(method);
    const target = targetOf(method, params);
    if (list === undefined && target === undefined) return next();
    if (misplaced(ctx, rules)) return misplacedReply(ctx);
    if (target !== undefined) {
      return rules.allows(target.kind, ctx.upstream, target.value) ? next() : notFound(target.missing, target.value);
    }
    const reply = await next();
    if (list === undefined || reply?.result === undefined) return reply;
    return { result: filterList(reply.result, list, (value) => rules.allows(list.kind, ctx.upstream, value)) };
  };
});

export default filter;
