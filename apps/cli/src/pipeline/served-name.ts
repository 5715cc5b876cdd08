import { isObject, META, type Middleware, type Params } from '@mcproxy/core';

/** `info` with its name replaced, when it is a serverInfo object at all. */
const renamed = (info: unknown, name: string): unknown => (isObject(info) ? { ...info, name } : info);

/**
 * The middleware that makes `--name` true for clients: the server's name in
 * an `initialize` result (2025 clients) and in the serverInfo `_meta` of
 * every result (2026-07-28 clients) is the one the proxy was given. It goes
 * nearest the client, so whatever stands behind it (one upstream passed
 * through, or an aggregate) is renamed alike.
 *
 * @example
 * const chain = [servedName('weather'), ...middleware];
 */
export function servedName(name: string): Middleware {
  return async function servedNameMiddleware(ctx, next) {
    const reply = await next();
    if (ctx.kind !== 'request' || ctx.direction !== 'upstream' || reply === undefined || !isObject(reply.result)) return reply;
    const result: Params = { ...reply.result };
    if (ctx.message.method === 'initialize' && 'serverInfo' in result) result.serverInfo = renamed(result.serverInfo, name);
    if (isObject(result._meta) && META.serverInfo in result._meta) {
      result._meta = { ...result._meta, [META.serverInfo]: renamed(result._meta[META.serverInfo], name) };
    }
    return { result };
  };
}
