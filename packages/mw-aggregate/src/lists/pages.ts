import { errorReply, JSONRPCErrorCode, type Reply } from '@mcproxy/core';
import type { Item } from './names.js';

const PREFIX = 'mcproxy:';

const encode = (offset: number): string => Buffer.from(`${PREFIX}${offset}`).toString('base64url');

function decode(cursor: string): number | undefined {
  const text = Buffer.from(cursor, 'base64url').toString();
  if (!text.startsWith(PREFIX)) return undefined;
  const offset = Number(text.slice(PREFIX.length));
  return Number.isSafeInteger(offset) && offset >= 0 ? offset : undefined;
}

/**
 * One page of a merged list, with the proxy's own opaque cursor (the
 * upstreams' cursors were followed when the list was merged). A cursor we
 * did not make is -32602; a cursor past the end of a list that has since
 * shrunk gives an empty last page.
 */
export function paginate(items: readonly Item[], field: string, cursor: unknown, pageSize: number | undefined): Reply {
  let offset = 0;
  if (cursor !== undefined) {
    const at = typeof cursor === 'string' && pageSize !== undefined ? decode(cursor) : undefined;
    if (at === undefined) return errorReply(JSONRPCErrorCode.InvalidParams, `invalid cursor: ${JSON.stringify(cursor)} is not a cursor this proxy gave out`);
    offset = at;
  }
  if (pageSize === undefined) return { result: { [field]: items } };
  const end = offset + pageSize;
  const page = items.slice(offset, end);
  return { result: end < items.length ? { [field]: page, nextCursor: encode(end) } : { [field]: page } };
}
