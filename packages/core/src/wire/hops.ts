import { ProxyErrorCode } from './errors.js';
import { errorReply, type Notification, type Params, type Reply, type Request } from './jsonrpc.js';

/** The `_meta` key under which each mcproxy a request passes through adds its id. A proxy that finds its own id there is in a loop. */
export const HOPS_META_KEY = 'mcproxy/hops';

/** The proxies a request has passed through, oldest first; anything malformed counts as none. */
export function hopsOf(params: Params | undefined): readonly string[] {
  const hops = (params?._meta as Params | undefined)?.[HOPS_META_KEY];
  return Array.isArray(hops) ? hops.filter((h): h is string => typeof h === 'string') : [];
}

/** `params` with `id` appended to its hop list (a copy; the original is left alone). */
export function withHop(params: Params | undefined, hops: readonly string[], id: string): Params {
  const meta = (params?._meta as Params | undefined) ?? {};
  return { ...params, _meta: { ...meta, [HOPS_META_KEY]: [...hops, id] } };
}

/** The refusal for a message that already passed through proxy `id` (a loop) or through `maxHops` proxies; undefined when it may go on. */
export function hopRefusal(message: Request | Notification, id: string, maxHops: number): Reply | undefined {
  const hops = hopsOf(message.params);
  if (hops.length === 0) return undefined;
  if (hops.includes(id)) {
    const path = logHops([...hops.slice(hops.indexOf(id)), id]).join(' → ');
    return errorReply(
      ProxyErrorCode.LoopDetected,
      `loop detected: ${message.method} came back to the proxy it passed through (${path}); check the upstreams of the proxies in this chain`,
      { hops },
    );
  }
  if (hops.length >= maxHops) {
    return errorReply(
      ProxyErrorCode.TooManyHops,
      `${message.method} has passed through ${hops.length} proxies, the most this one accepts (maxHops ${maxHops})`,
      { hops },
    );
  }
  return undefined;
}

/** A hop list for a log line: a hostile one may hold thousands of entries. */
export const logHops = (hops: readonly string[]): unknown[] =>
  hops.length <= 8
    ? hops.map((h) => cut(h, 64))
    : [...hops.slice(0, 4).map((h) => cut(h, 64)), `… ${hops.length - 8} more …`, ...hops.slice(-4).map((h) => cut(h, 64))];

/** `text` cut to `max` characters for a log line, saying how long it was. */
export const cut = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max)}… (${text.length} chars)`);
