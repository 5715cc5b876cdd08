import type { Message } from './jsonrpc.js';

/** Results worth stringifying once: each maps to its JSON once it has been sent. */
const shared = new WeakMap<object, string | undefined>();

/**
 * Marks a result that will be sent many times unchanged (a merged list kept in memory), so `jsonOf`
 * stringifies it once. Never change it afterwards. Returns its argument.
 */
export function shareJson<T extends object>(result: T): T {
  if (!shared.has(result)) shared.set(result, undefined);
  return result;
}

/**
 * A message as JSON text. Transports use it instead of `JSON.stringify`: a response whose result
 * was marked with `shareJson` reuses that result's text, and only the id is new.
 */
export function jsonOf(message: Message): string {
  if (!('result' in message) || message.result === undefined || !shared.has(message.result)) return JSON.stringify(message);
  const result = message.result;
  let text = shared.get(result);
  if (text === undefined) {
    text = JSON.stringify(result);
    shared.set(result, text);
  }
  return `{"jsonrpc":"2.0","id":${JSON.stringify(message.id)},"result":${text}}`;
}
