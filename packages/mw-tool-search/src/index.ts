import {
  defineMiddleware,
  errorReply,
  throttledWarn,
  JSONRPCErrorCode,
  notFound,
  type Next,
  type Params,
  type Reply,
  type RequestContext,
} from '@mcproxy/core';
import { Minimatch } from 'minimatch';
import { Catalogs } from './catalog.js';
import { describeTool, metaTools, searchTools, toolError, unknownTool } from './meta-tools.js';
import { toolSearchOptionsSchema } from './options.js';

export { toolSearchOptionsSchema, type ToolSearchConfig, type ToolSearchOptions } from './options.js';
export { ToolIndex, words, type Hit } from './search.js';

/**
 * Replaces a large tool list with three tools: search the catalog (BM25 over
 * names, titles, descriptions and parameter names), describe one tool, call
 * one by name; `pinned` tools are listed in full beside them. The catalog is
 * whatever the rest of the chain lists, every page, so filters, renames and
 * aggregation after this middleware shape it, and a call through `call_tool`
 * leaves as an ordinary `tools/call` through them: a tool the chain hides
 * can be neither found nor called. Put it first in the pipeline.
 *
 * @example
 * const mw = toolSearch({ pinned: ['github__*_issue'] }, { log });
 */
export const toolSearch = defineMiddleware('tool-search', toolSearchOptionsSchema, (config, env) => {
  const catalogs = new Catalogs(config, env.log);
  const own = metaTools(config);
  const ownNames = new Set(own.map((t) => t.name));
  const pins = config.pinned.map((glob) => new Minimatch(glob, { dot: true, nocomment: true, nonegate: true }));
  const shadows = throttledWarn(
    env.log,
    'tool-search: the catalog has a tool named like one of the three; the three win in the list and in direct calls, and describe_tool and call_tool reach the catalog one (set names to avoid it)',
  );
  const pinned = (name: string): boolean => !ownNames.has(name) && pins.some((p) => p.match(name));

  /** `tools/list`: the three, and the pinned tools (or, with `replace: false`, every tool) as the chain lists them. */
  const list = async (ctx: RequestContext, next: Next): Promise<Reply> => {
    const cursor = ctx.message.params?.cursor;
    if (cursor !== undefined)
      return errorReply(JSONRPCErrorCode.InvalidParams, `invalid cursor: ${JSON.stringify(cursor)} is not a cursor this proxy gave out`);
    const modern = ctx.client.era === 'modern';
    if (config.replace && pins.length === 0) return { result: { tools: own, ...(modern ? { ttlMs: config.maxAgeMs, cacheScope: 'public' } : {}) } };
    const got = await catalogs.get(ctx, next);
    if (!('catalog' in got)) return got;
    const tools = [...own, ...got.catalog.tools.filter((t) => !ownNames.has(t.name) && (!config.replace || pinned(t.name)))];
    return { result: { tools, ...(modern ? got.hints : {}) } };
  };

  /** A call of one of the three. */
  const callOwn = async (ctx: RequestContext, next: Next, name: string): Promise<Reply> => {
    const params = ctx.message.params ?? {};
    const args = (typeof params.arguments === 'object' && params.arguments !== null ? params.arguments : {}) as Params;
    const got = await catalogs.get(ctx, next);
    if (!('catalog' in got)) return got;
    const shadowed = own.filter((t) => got.catalog.byName.has(t.name)).map((t) => t.name);
    if (shadowed.length > 0) shadows({ shadowed });
    if (name === config.names.search) return searchTools(config, got.catalog, args);
    if (name === config.names.describe) return describeTool(config, got.catalog, own, args);
    const target = args.name;
    if (typeof target !== 'string') return toolError(`${config.names.call} needs "name": a tool name.`);
    // Through call_tool a name means the catalog's tool, even one the three shadow in the list.
    if (!got.catalog.byName.has(target))
      return ownNames.has(target) ? toolError(`Call ${target} directly, not through ${config.names.call}.`) : unknownTool(config, target);
    const inner = args.arguments ?? {};
    if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) return toolError('"arguments" must be an object.');
    // The rest of the original params (_meta with its progress token, task) travel with the call.
    const { name: _call, arguments: _args, ...envelope } = params;
    ctx.message = { ...ctx.message, method: 'tools/call', params: { ...envelope, name: target, arguments: inner } };
    return (await next()) ?? errorReply(JSONRPCErrorCode.InternalError, 'tool-search: tools/call had no answer');
  };

  return async function toolSearch(ctx, next) {
    if (ctx.kind === 'notification') {
      if (ctx.direction === 'downstream' && ctx.message.method === 'notifications/tools/list_changed') catalogs.forget(ctx.session);
      return next();
    }
    if (ctx.direction === 'downstream') return next();
    const { method, params } = ctx.message;
    if (method === 'tools/list') return list(ctx, next);
    if (method !== 'tools/call') return next();
    const name = params?.name;
    if (typeof name === 'string' && ownNames.has(name)) return callOwn(ctx, next, name);
    // A tool's own name: the chain after us judges it, as it would any call.
    if (!config.directCalls && typeof name === 'string' && !pinned(name)) return notFound('tool', name);
    return next();
  };
});

export default toolSearch;
