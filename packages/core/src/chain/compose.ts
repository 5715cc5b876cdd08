import { errorReply, JSONRPCErrorCode, type Reply } from '../wire/jsonrpc.js';
import type { Context, Dispatch, Fork, Middleware, Terminal } from './middleware.js';

const nameOf = (fn: { name: string }, index: number): string => fn.name || `middleware #${index + 1}`;

/**
 * Builds the onion: middleware `i` is called with `next` bound to `i + 1`, and the last `next` runs
 * the terminal. Calling `next()` twice is a bug in the middleware and is refused; `next(fork)` runs
 * a copy of the context through the rest of the chain and may be called freely (`onFork` lets the
 * owner of the chain carry what it keeps about a context over to the copy). A request that comes
 * back with no reply is answered with an internal error naming the middleware that lost it, so a
 * faulty handler never leaves a client waiting.
 *
 * @example
 * const run = compose([logging, filter], forward);
 * const reply = await run(ctx);
 */
export function compose(middleware: readonly Middleware[], terminal: Terminal, onFork?: (parent: Context, child: Context) => void): Dispatch {
  const chain = [...middleware];
  const run = (ctx: Context, from: number): Promise<Reply | undefined> => {
    let last = from - 1;
    const dispatch = async (i: number): Promise<Reply | undefined> => {
      if (i <= last) throw new Error(`${nameOf(chain[i - 1] ?? terminal, i - 1)} called next() more than once`);
      last = i;
      const fn = chain[i];
      const next = (fork?: Fork): Promise<Reply | undefined> => {
        if (fork === undefined) return dispatch(i + 1);
        const child = { ...ctx, signal: ctx.signal, ...fork } as Context; // by name: core's contexts have it as a getter
        onFork?.(ctx, child);
        return run(child, i + 1);
      };
      const reply: Reply | undefined = fn === undefined ? await terminal(ctx) : await fn(ctx, next);
      if (ctx.kind === 'request' && reply === undefined) {
        const who = fn === undefined ? 'the terminal handler' : nameOf(fn, i);
        return errorReply(JSONRPCErrorCode.InternalError, `${who} returned no reply for ${ctx.message.method}`);
      }
      return ctx.kind === 'request' ? reply : undefined;
    };
    return dispatch(from);
  };
  return function dispatchChain(ctx: Context) {
    return run(ctx, 0);
  };
}
