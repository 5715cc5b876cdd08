import { principalKey, URL_ELICITATION_REQUIRED, type Context, type Next, type Reply, type RequestContext } from '@mcproxy/core';
import { ask } from '../upstreams/fan-out.js';
import type { Item } from './names.js';

/** Principals and upstreams remembered as waiting for a sign-in, at most (the oldest forgotten first). */
const MAX_WAITING = 10_000;

/**
 * Upstreams whose lists were refused until the user signs in (an upstream
 * with per-user OAuth, or a 2025-11-25 server that asks for a URL itself).
 * A merged list cannot carry one upstream's error, so such an upstream is
 * listed as one tool, `<upstream><separator>sign_in`: calling it asks the
 * upstream again, and until the user has signed in the call is answered
 * with the upstream's -32042, which consent rounds give the client as it can
 * take it (a URL elicitation, an input_required round, or the URL in an
 * error). Kept per principal: modern requests of a face share their lists.
 */
export class SignIns {
  private readonly waiting = new Set<string>();

  /** What an upstream answered a list request of `ctx`'s principal: a -32042 marks it waiting, an answer clears it. */
  note(ctx: Context, upstream: string, reply: Reply): void {
    const key = keyOf(ctx, upstream);
    if (reply.error?.code === URL_ELICITATION_REQUIRED) {
      this.waiting.delete(key);
      this.waiting.add(key);
      if (this.waiting.size > MAX_WAITING) this.waiting.delete(this.waiting.values().next().value as string);
    } else if (reply.error === undefined) {
      this.waiting.delete(key);
    }
  }

  /** The sign-in tools of the upstreams `missing` from a tools list that wait for this principal. */
  tools(ctx: Context, missing: readonly string[], separator: string): Item[] {
    return missing
      .filter((upstream) => this.waiting.has(keyOf(ctx, upstream)))
      .map((upstream) => ({
        name: nameOf(upstream, separator),
        description: `Sign in to "${upstream}" so that its tools can be used on your behalf: call this, open the link it gives, then list the tools again.`,
        inputSchema: { type: 'object', properties: {} },
      }));
  }

  /** A `tools/call` of a sign-in tool: the upstream asked again; undefined when `name` is no sign-in tool of this principal. */
  async call(
    ctx: RequestContext,
    next: Next,
    name: unknown,
    options: { separator: string; timeoutMs: number },
    signedIn: (upstream: string) => void,
  ): Promise<Reply | undefined> {
    const upstream = ctx.upstreams.find((u) => name === nameOf(u, options.separator) && this.waiting.has(keyOf(ctx, u)));
    if (upstream === undefined) return undefined;
    const reply = await ask(ctx, next, upstream, { jsonrpc: '2.0', method: 'tools/list', params: {} }, options.timeoutMs);
    this.note(ctx, upstream, reply);
    if (reply.error !== undefined) return reply;
    signedIn(upstream);
    return { result: { content: [{ type: 'text', text: `Signed in to "${upstream}": list the tools again to see its tools.` }] } };
  }
}

const nameOf = (upstream: string, separator: string): string => `${upstream}${separator}sign_in`;
const keyOf = (ctx: Context, upstream: string): string => `${principalKey(ctx.session.principal) ?? ''}\n${upstream}`;
