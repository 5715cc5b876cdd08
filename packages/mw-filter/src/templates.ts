import type { Next, Params, Reply } from '@mcproxy/core';

/** Most pages of templates followed for one check: an upstream whose cursors never end must not hang a read. */
const MAX_PAGES = 100;

/**
 * Every `uriTemplate` the rest of the chain lists for this request (all its
 * pages), asked with a fork of the request so it goes where the request goes:
 * to its upstream after aggregate, to the merged list before it. A reply is
 * the error that kept us from knowing (relayed as it is); a server without
 * templates has none.
 */
export async function templatesFor(next: Next): Promise<string[] | Reply> {
  const out: string[] = [];
  let cursor: unknown;
  for (let page = 0; page < MAX_PAGES; page++) {
    const params: Params = cursor === undefined ? {} : { cursor };
    const reply = await next({ message: { jsonrpc: '2.0', method: 'resources/templates/list', params } });
    if (reply?.error !== undefined) return reply.error.code === -32601 ? out : reply;
    const items = reply?.result.resourceTemplates;
    if (Array.isArray(items)) {
      for (const t of items) if (typeof (t as Params | null)?.uriTemplate === 'string') out.push((t as Params).uriTemplate as string);
    }
    cursor = reply?.result.nextCursor;
    if (typeof cursor !== 'string') return out;
  }
  return out;
}
