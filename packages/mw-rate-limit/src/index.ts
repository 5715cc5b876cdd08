import {
  defineMiddleware,
  errorReply,
  logId,
  principalKey,
  ProxyErrorCode,
  throttledWarn,
  type Context,
  type Logger,
  type Middleware,
  type MiddlewareEnv,
  type RateBuckets,
  type Reply,
} from '@mcproxy/core';
import { minimatch } from 'minimatch';
import { Buckets, type Shape } from './buckets.js';
import { describeBucket, rateLimitOptionsSchema, shapeOf, type BucketOptions, type ResolvedRateLimitOptions } from './options.js';

export { rateLimitOptionsSchema, type RateLimitOptions, type ResolvedRateLimitOptions } from './options.js';
export { Buckets } from './buckets.js';

/** Which limit refused a request, as `data.limit` says. */
export type LimitKind = 'principal' | 'tool' | 'upstream' | 'notification';

interface Wanted {
  key: string;
  shape: Shape;
  kind: LimitKind;
  /** Whose or what limit, for the message: a principal (`api-key:ci`, `jwt:alice`), a tool glob, an upstream's name. */
  subject: string;
  bucket: BucketOptions;
}

/** Requests without a principal (stdio, a face without auth) share one bucket under this name. */
export const ANONYMOUS = '(anonymous)';

const toolName = (ctx: Context): string | undefined => {
  const name = ctx.message.params?.name;
  return ctx.message.method === 'tools/call' && typeof name === 'string' ? name : undefined;
};

/** What `rateLimit` is given besides its options: the log, and where its buckets are kept. */
export interface RateLimitEnv extends MiddlewareEnv {
  /** Default: this entry's own, in memory, at most `maxBuckets` (which a store given here does not read: it keeps its own bound). */
  buckets?: RateBuckets | undefined;
}

/**
 * The rate limiter itself, with its clock and its buckets; `rateLimit`
 * (the pipeline file's `use: rate-limit`) is this with `Date.now`.
 */
export function createRateLimit(
  options: ResolvedRateLimitOptions,
  log: Logger,
  now: () => number = Date.now,
  buckets: RateBuckets = new Buckets(options.maxBuckets, now),
): Middleware {
  const tools = options.tools.map((rule) => ({ rule, shape: shapeOf(rule), test: (n: string) => minimatch(n, rule.match, { dot: true }) }));
  const upstreams = new Map(Object.entries(options.upstreams).map(([name, b]) => [name, { bucket: b, shape: shapeOf(b) }]));
  const principal = options.principal === undefined ? undefined : { bucket: options.principal, shape: shapeOf(options.principal) };
  const warn = throttledWarn(log, 'request refused: rate limit');
  const notifications = { bucket: options.notifications, shape: shapeOf(options.notifications) };
  const warnDropped = throttledWarn(log, 'client notification dropped: rate limit');
  // How many client notifications this entry has dropped, since it was built; each warning carries the total.
  let dropped = 0;

  /**
   * A client notification draws on its principal's notification bucket, and
   * on its principal bucket when there is one; `initialized` is the end of
   * the handshake `initialize` already paid for, so only the first.
   */
  const wantedByNotification = (ctx: Context): Wanted[] => {
    const who = principalKey(ctx.session.principal) ?? ANONYMOUS;
    const out: Wanted[] = [{ key: `n\0${who}`, shape: notifications.shape, kind: 'notification', subject: who, bucket: notifications.bucket }];
    if (principal !== undefined && ctx.message.method !== 'notifications/initialized')
      out.push({ key: `p\0${who}`, shape: principal.shape, kind: 'principal', subject: who, bucket: principal.bucket });
    return out;
  };

  const wanted = (ctx: Context): Wanted[] => {
    // By kind and id: the API key `ci` and a token with `sub: ci` are two principals with two buckets.
    const who = principalKey(ctx.session.principal) ?? ANONYMOUS;
    const out: Wanted[] = [];
    if (principal !== undefined) out.push({ key: `p\0${who}`, shape: principal.shape, kind: 'principal', subject: who, bucket: principal.bucket });
    const tool = toolName(ctx);
    const rule = tool === undefined ? undefined : tools.find((r) => r.test(tool));
    if (rule !== undefined) {
      const scope = rule.rule.across === 'all' ? '' : who;
      out.push({ key: `t\0${rule.rule.match}\0${scope}`, shape: rule.shape, kind: 'tool', subject: rule.rule.match, bucket: rule.rule });
    }
    const up = ctx.upstream === undefined ? undefined : upstreams.get(ctx.upstream);
    if (up !== undefined && ctx.upstream !== undefined) {
      out.push({ key: `u\0${ctx.upstream}`, shape: up.shape, kind: 'upstream', subject: ctx.upstream, bucket: up.bucket });
    }
    return out;
  };

  const refusal = (ctx: Context, w: Wanted, waitMs: number): Reply => {
    const whose =
      w.kind === 'principal' || w.kind === 'notification'
        ? `for "${w.subject}"`
        : w.kind === 'tool'
          ? `on tools matching "${w.subject}"`
          : `toward upstream "${w.subject}"`;
    const what = toolName(ctx) === undefined ? ctx.message.method : `${ctx.message.method} ${toolName(ctx)}`;
    warn({ limit: w.kind, subject: w.subject, method: ctx.message.method, session: logId(ctx.session.id), retryAfterMs: waitMs });
    return errorReply(
      ProxyErrorCode.RateLimited,
      `rate limit: ${what} refused; the limit ${whose} is ${describeBucket(w.bucket)}; retry in ${(waitMs / 1000).toFixed(1)} s`,
      { limit: w.kind, subject: w.subject, retryAfterMs: waitMs, retryAt: new Date(now() + waitMs).toISOString() },
    );
  };

  return async function rateLimit(ctx, next) {
    // Only what clients send counts; a ping is how a client checks the proxy is alive.
    if (ctx.direction !== 'upstream' || ctx.message.method === 'ping') return next();
    if (ctx.kind === 'notification') {
      const want = wantedByNotification(ctx);
      const taken = await buckets.take(want);
      if (taken.blocking === undefined) return next();
      // A notification has no answer to carry a refusal: it is dropped, and counted.
      dropped += 1;
      const w = want[taken.blocking]!;
      warnDropped({ limit: w.kind, subject: w.subject, method: ctx.message.method, session: logId(ctx.session.id), dropped });
      return undefined;
    }
    const want = wanted(ctx);
    if (want.length === 0) return next();
    const taken = await buckets.take(want);
    if (taken.blocking !== undefined) return refusal(ctx, want[taken.blocking]!, taken.waitMs);
    return next();
  };
}

/**
 * Token-bucket rate limits, in memory and per process unless
 * `env.buckets` gives another store: each principal's requests
 * (`principal`), calls of tools by name glob (`tools`, per principal or
 * `across: all`), and everything routed to an upstream (`upstreams`). A request is let through only if every bucket it draws on
 * has a token, and then takes one from each; otherwise it is answered
 * -32018 with the limit, the time to retry (`data.retryAfterMs`,
 * `data.retryAt`) and nothing is taken. A 2026-07-28 request refused this
 * way gets HTTP 429 with `Retry-After` from the HTTP face.
 *
 * @example
 * const mw = rateLimit({ principal: { rate: 10, per: 'second', burst: 20 }, tools: [{ match: 'search_*', rate: 30, per: 'minute' }] }, { log });
 */
export const rateLimit: (options: unknown, env: RateLimitEnv) => Middleware | Promise<Middleware> = defineMiddleware(
  'rate-limit',
  rateLimitOptionsSchema,
  (options, env: RateLimitEnv) => createRateLimit(options, env.log, Date.now, env.buckets),
);

export default rateLimit;
