import type { Middleware, Params, Reply } from '@mcproxy/core';

/** What a list method returns, and the field each item is named by. */
const LISTS: Record<string, { field: string; key: string }> = {
  'tools/list': { field: 'tools', key: 'name' },
  'prompts/list': { field: 'prompts', key: 'name' },
  'resources/list': { field: 'resources', key: 'uri' },
  'resources/templates/list': { field: 'resourceTemplates', key: 'uriTemplate' },
};

/**
 * A stand-in for mw-aggregate in tests: it forks lists to every upstream and
 * names tools and prompts `<upstream>__<name>`, routes calls by that prefix,
 * and tries a URI on each upstream in order. Enough to put a middleware
 * before or after routing without depending on the real package.
 */
export const router: Middleware = async function router(ctx, next) {
  if (ctx.direction === 'downstream' || ctx.upstream !== undefined) return next();
  const [first] = ctx.upstreams;
  if (ctx.kind === 'notification') return next({ upstream: first });
  const { method, params } = ctx.message;
  const list = LISTS[method];
  if (list !== undefined) {
    const merged: Params[] = [];
    for (const upstream of ctx.upstreams) {
      const reply = await next({ upstream });
      const items = (reply?.result?.[list.field] ?? []) as Params[];
      const named = list.key === 'name';
      merged.push(...items.map((item) => (named ? { ...item, name: `${upstream}__${String(item.name)}` } : item)));
    }
    return { result: { [list.field]: merged } };
  }
  if ((method === 'tools/call' || method === 'prompts/get') && typeof params?.name === 'string') {
    const [upstream, name] = params.name.split('__');
    return next({ upstream, message: { ...ctx.message, params: { ...params, name } } });
  }
  if (typeof params?.uri === 'string') {
    let reply: Reply | undefined;
    for (const upstream of ctx.upstreams) {
      reply = await next({ upstream });
      if (reply?.error === undefined) return reply;
    }
    return reply;
  }
  return next({ upstream: first });
};
