import { errorReply, ProxyErrorCode, replyFromError, type Context, type Next, type Notification, type Params, type Reply, type Request } from '@mcproxy/core';

/**
 * Sends one request to one upstream down the rest of the chain, giving up
 * after `timeoutMs`: the fork is cancelled (core tells the upstream) and the
 * answer is a timeout error naming the upstream, so a slow server costs at
 * most its deadline.
 */
export async function ask(ctx: Context, next: Next, upstream: string, message: Omit<Request, 'id'>, timeoutMs: number): Promise<Reply> {
  const deadline = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Reply>((resolve) => {
    timer = setTimeout(() => {
      const reply = errorReply(ProxyErrorCode.RequestTimeout, `upstream "${upstream}" did not answer ${message.method} within ${timeoutMs} ms`, { upstream });
      deadline.abort(new Error(reply.error?.message));
      resolve(reply);
    }, timeoutMs);
  });
  try {
    const signal = AbortSignal.any([ctx.signal, deadline.signal]);
    const answer = next({ upstream, message, signal }).then(
      (r) => r ?? { result: {} },
      (err: unknown) => replyFromError(err, `upstream "${upstream}"`),
    );
    return await Promise.race([answer, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Passes a notification to every upstream; one that cannot take it is logged, never fatal. */
export async function broadcast(ctx: Context, next: Next, upstreams: readonly string[], message: Notification): Promise<void> {
  await Promise.all(
    upstreams.map((upstream) =>
      next({ upstream, message }).catch((err: unknown) => {
        ctx.log.debug({ upstream, method: message.method, err }, 'notification not passed to upstream');
      }),
    ),
  );
}

export const withParams = (message: Omit<Request, 'id'>, params: Params): Omit<Request, 'id'> => ({ ...message, params });
