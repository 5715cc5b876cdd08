import { errorReply, JSONRPCErrorCode, type Reply } from './jsonrpc.js';
import type { Context, Dispatch, Middleware, Terminal } from './middleware.js';

const nameOf = (fn: { name: string }, index: number): string => fn.name || `middleware #${index + 1}`;

/**
 * Builds the onion: middleware `i` is called with `next` bound to `i + 1`,
 * and the last `next` runs the terminal. Calling `next` twice is a bug in
 * the middleware and is refused. A request that comes back with no reply is
 * answered with an internal error naming the middleware that lost it, so a
 * faulty handler never leaves a client waiting.
 *
 * @example
 * const run = compose([logging, filter], forward);
 * const reply = await run(ctx);
 */
export function compose(middleware: readonly Middleware[], terminal: Terminal): Dispatch {
  const chain = [...middleware];
  return function dispatchChain(ctx: Context) {
    let last = -1;
    const dispatch = async (i: number): Promise<Reply | undefined> => {
      if (i <= last) throw new Error(`${nameOf(chain[i - 1] ?? terminal, i - 1)} called next() more than once`);
      last = i;
      const fn = chain[i];
      const reply: Reply | undefined = fn === undefined ? await terminal(ctx) : await fn(ctx, () => dispatch(i + 1));
      if (ctx.kind === 'request' && reply === undefined) {
        const who = fn === undefined ? 'the terminal handler' : nameOf(fn, i);
        return errorReply(JSONRPCErrorCode.InternalError, `${who} returned no reply for ${ctx.message.method}`);
      }
      return ctx.kind === 'request' ? reply : undefined;
    };
    return dispatch(0);
  };
}
