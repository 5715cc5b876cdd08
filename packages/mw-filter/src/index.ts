import { defineMiddleware, errorReply, JSONRPCErrorCode, notFound, type Context, type Next, type Params, type Reply, type RequestContext } from '@mcproxy/core';
import { addGuard, listOf, parseAlias, spellingsOf, templatePattern, type Guard, type Spelling } from '@mcproxy/names';
import { filterOptionsSchema } from './options.js';
import { RuleSet } from './rules.js';
import { filterList, targetOf } from './targets.js';
import { decodedUri } from './decode.js';
import { ambiguousUri, normalizedUri } from './normalize.js';
import { templatesFor } from './templates.js';

export { filterOptionsSchema, type FilterKind, type FilterOptions, type FilterRule } from './options.js';
export { compileGlob, RuleSet, type Glob } from './rules.js';
// These live in @mcproxy/names, where aggregate and rename share them; still exported here for those who imported them from the filter.
export { GUARDS, parseAlias, spellingsOf, type Guard, type Spelling } from '@mcproxy/names';

/**
 * Per-upstream rules need to know the upstream. Before a routing middleware
 * (mw-aggregate) a message for several upstreams has none yet: refusing
 * loudly beats skipping the rules, which would expose what they hide.
 */
const misplaced = (ctx: Context, rules: RuleSet): boolean => ctx.upstream === undefined && ctx.upstreams.length > 1 && rules.upstreams.length > 0;

/**
 * Exposes only the tools, prompts, resources and resource templates the
 * rules allow. Lists are filtered on the way back; a request that names a
 * hidden item gets exactly the answer for an item that does not exist
 * (`notFound`); `notifications/resources/updated` for a hidden URI is dropped,
 * and a 2026-07-28 `subscriptions/listen` does not subscribe to one.
 * Deny wins whatever a request calls an item: an alias URI is judged with
 * the URI it reaches, a read is refused when its URI expands a hidden
 * template, and the filter leaves its deny rules on the session for the
 * middleware further on that turn one name into another (aggregate, rename).
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

  /**
   * Every spelling of a URI: as written, what each alias layer in it
   * reaches, and each of those percent-decoded and with its dot segments
   * removed (RFC 3986), as a server that reads it is likely to resolve it.
   */
  const allSpellings = (uri: string, upstream: string | undefined): Spelling[] =>
    spellingsOf(uri, upstream).flatMap((s) => {
      const forms = new Set([s.uri, decodedUri(s.uri), normalizedUri(s.uri)]);
      return [...forms].map((form) => ({ ...s, uri: form }));
    });

  /**
   * A URI a client sends whose path an upstream might resolve its own way
   * (dot segments, encoded separators, backslashes): with resource rules in
   * force the filter cannot be sure which resource it names, so it refuses
   * it rather than guess. Alias layers are our own format and are judged
   * by what they reach.
   */
  const unsure = (uri: string): boolean =>
    rules.judgesResources && spellingsOf(uri, undefined).some((s) => parseAlias(s.uri) === undefined && ambiguousUri(s.uri));

  /**
   * A URI and every URI its aliases reach: any spelling denied hides it; it
   * is shown when the spelling a server would resolve it to (decoded,
   * without dot segments) passes the allow lists. `sent`: a client wrote it,
   * so a URI the filter cannot be sure of is refused too.
   */
  const uriAllowed = (upstream: string | undefined, uri: string, sent: boolean): boolean => {
    if (sent && unsure(uri)) return false;
    const spellings = allSpellings(uri, upstream).map((s) => ({ value: s.uri, upstream: s.upstream }));
    if (!rules.allowsAny('resources', spellings)) return false;
    const resolved = spellingsOf(uri, upstream).map((s) => ({ value: normalizedUri(s.uri), upstream: s.upstream }));
    return rules.allowsAny('resources', resolved);
  };

  /** What aggregate and rename ask before they send a name on under another spelling. */
  const guard: Guard = (kind, value, upstream) =>
    kind === 'resources'
      ? unsure(value) || allSpellings(value, upstream).some((s) => rules.denies('resources', s.upstream, s.uri))
      : rules.denies(kind, upstream, value);

  /** A URI that expands a hidden template is that template's item: refused like it. */
  const expandsHidden = async (ctx: RequestContext, next: Next, uri: string): Promise<Reply | undefined> => {
    const templates = await templatesFor(next);
    if (!Array.isArray(templates)) return templates;
    const spellings = allSpellings(uri, ctx.upstream);
    for (const t of templates) {
      if (rules.allows('resourceTemplates', ctx.upstream, t)) continue;
      const pattern = templatePattern(t);
      if (spellings.some((s) => pattern.test(s.uri))) return notFound('resource', uri);
    }
    return undefined;
  };

  /**
   * A 2026-07-28 `subscriptions/listen` names resources to hear about: the
   * hidden ones (and those that expand a hidden template) are taken out, so
   * no upstream is asked to tell of them. Templates are asked for once.
   */
  const listenFiltered = async (ctx: RequestContext, next: Next): Promise<Params | undefined> => {
    const params = ctx.message.params;
    const notifications = params?.notifications as Params | undefined;
    const uris = notifications?.resourceSubscriptions;
    if (!Array.isArray(uris)) return params;
    let kept = uris.filter((u): u is string => typeof u === 'string' && uriAllowed(ctx.upstream, u, true));
    if (kept.length > 0 && rules.judgesTemplates) {
      const templates = await templatesFor(next);
      // Templates we cannot know might hide any of them: deny wins.
      const hidden = Array.isArray(templates) ? templates.filter((t) => !rules.allows('resourceTemplates', ctx.upstream, t)).map(templatePattern) : undefined;
      kept = hidden === undefined ? [] : kept.filter((u) => !allSpellings(u, ctx.upstream).some((s) => hidden.some((p) => p.test(s.uri))));
    }
    return { ...params, notifications: { ...notifications, resourceSubscriptions: kept } };
  };

  return async function filter(ctx, next) {
    checkNames(ctx);
    if (ctx.direction === 'upstream') addGuard(ctx.session, guard);
    const { method, params } = ctx.message;
    if (ctx.kind === 'notification') {
      // What an upstream says about a resource the client may not see stays unsaid.
      if (ctx.direction === 'downstream' && method === 'notifications/resources/updated') {
        const uri = params?.uri;
        if (typeof uri === 'string' && !uriAllowed(ctx.upstream, uri, false)) return undefined;
      }
      return next();
    }
    if (ctx.direction === 'downstream') return next();
    if (method === 'subscriptions/listen') {
      if (misplaced(ctx, rules)) return misplacedReply(ctx);
      ctx.message = { ...ctx.message, params: await listenFiltered(ctx, next) };
      return next();
    }
    const list = listOf(method);
    const target = targetOf(method, params);
    if (list === undefined && target === undefined) return next();
    if (misplaced(ctx, rules)) return misplacedReply(ctx);
    if (target !== undefined) {
      const allowed = target.kind === 'resources' ? uriAllowed(ctx.upstream, target.value, true) : rules.allows(target.kind, ctx.upstream, target.value);
      if (!allowed) return notFound(target.missing, target.value);
      if (target.kind === 'resources' && rules.judgesTemplates) {
        const refused = await expandsHidden(ctx, next, target.value);
        if (refused !== undefined) return refused;
      }
      return next();
    }
    const reply = await next();
    if (list === undefined || reply?.result === undefined) return reply;
    const keep =
      list.kind === 'resources' ? (value: string) => uriAllowed(ctx.upstream, value, false) : (value: string) => rules.allows(list.kind, ctx.upstream, value);
    return { result: filterList(reply.result, list, keep) };
  };
});

export default filter;
