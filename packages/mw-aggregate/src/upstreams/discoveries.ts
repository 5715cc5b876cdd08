import { isObject, McpErrorCode, type Context, type Next, type Params, type Reply } from '@mcproxy/core';
import { ask } from './fan-out.js';
import type { Health } from './health.js';
import { hintsOf } from './hints.js';

/** How long an upstream that speaks no 2026-07-28 is taken at its word before it is asked again. */
export const LEGACY_RECHECK_MS = 30_000;

/**
 * What each upstream can do, as modern requests learn it: from its
 * `server/discover` answer (there is no `initialize` to read it from), kept
 * for the answer's own `ttlMs` and asked again after. An upstream out of a
 * modern client's reach (-32022) offers nothing to modern requests; one whose
 * discover failed otherwise is unknown, so lists still ask it.
 */
export class Discoveries {
  private readonly until = new Map<string, number>();
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly capabilities: Map<string, Params>,
    private readonly timeoutMs: number,
    private readonly health: Health,
  ) {}

  /** Learns what a `server/discover` answer says of `upstream` (the proxy's own probe, or a client's fanned out). */
  note(upstream: string, reply: Reply, now = Date.now()): void {
    if (reply.error === undefined) {
      this.capabilities.set(upstream, isObject(reply.result.capabilities) ? reply.result.capabilities : {});
      this.until.set(upstream, now + hintsOf(reply.result).ttlMs);
    } else if (reply.error.code === McpErrorCode.UnsupportedProtocolVersion) {
      this.capabilities.set(upstream, {});
      this.until.set(upstream, now + LEGACY_RECHECK_MS);
    } else {
      this.capabilities.delete(upstream);
      this.until.delete(upstream);
    }
  }

  /** Asks every upstream whose capabilities are unknown or stale (and that is not backing off), once for all who wait. */
  async refresh(ctx: Context, next: Next): Promise<void> {
    const now = Date.now();
    const due = ctx.upstreams.filter((u) => (this.until.get(u) ?? 0) <= now && this.health.skip(u) === undefined);
    await Promise.all(due.map((u) => this.discover(ctx, next, u)));
  }

  private discover(ctx: Context, next: Next, upstream: string): Promise<void> {
    const running = this.running.get(upstream);
    if (running !== undefined) return running;
    const work = ask(ctx, next, upstream, { jsonrpc: '2.0', method: 'server/discover', params: {} }, this.timeoutMs)
      .then((reply) => {
        this.health.observe(upstream, reply);
        this.note(upstream, reply);
      })
      .finally(() => this.running.delete(upstream));
    this.running.set(upstream, work);
    return work;
  }
}
