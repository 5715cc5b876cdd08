import type { RequestId } from '@mcproxy/core';
import type { LineEdges } from '../lines/line-splitter.js';

const ID = String.raw`(-?\d+|"(?:[^"\\]|\\.)*")`;
const VERSION = String.raw`"jsonrpc"\s*:\s*"2\.0"\s*`;
/** `{"jsonrpc":"2.0","id":5,"result":…`: the order of most servers outside the SDK (and ours). */
const ID_FIRST = new RegExp(String.raw`^\s*\{\s*(?:${VERSION},\s*)?"id"\s*:\s*${ID}\s*,\s*(?:${VERSION},\s*)?"(?:result|error)"\s*:`);
/** `{"result":…` with the id last, `…,"jsonrpc":"2.0","id":5}`: the MCP SDK's order. */
const RESULT_FIRST = /^\s*\{\s*"(?:result|error)"\s*:/;
const ID_LAST = new RegExp(String.raw`"id"\s*:\s*${ID}\s*(?:,\s*${VERSION})?\}\s*$`);

/**
 * The id of the response a skipped over-long line carried, when its edges
 * say so beyond doubt; otherwise undefined. Only the top level can be read
 * from the edges: the id must come first before `result`/`error`, or the
 * line must open with `{"result":` or `{"error":` and end with the id and
 * the closing brace of the message itself (a nested `"id":…}` is followed by
 * more braces). A request from the server (`"method"`) never matches, so
 * an over-long request of the upstream is not taken for an answer.
 */
export function answeredId({ head, tail }: LineEdges): RequestId | undefined {
  const first = ID_FIRST.exec(head);
  const raw = first?.[1] ?? (RESULT_FIRST.test(head) ? ID_LAST.exec(tail)?.[1] : undefined);
  if (raw === undefined) return undefined;
  try {
    const id: unknown = JSON.parse(raw);
    return typeof id === 'number' || typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
