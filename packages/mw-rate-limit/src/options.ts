import { z } from 'zod';

const UNITS = { second: 1000, minute: 60_000, hour: 3_600_000 } as const;

/** One token bucket: `rate` requests per `per`, with up to `burst` at once (default: `rate`). */
const bucket = z.strictObject({
  rate: z.number().positive().describe('Requests allowed per `per`, on average.'),
  per: z.enum(['second', 'minute', 'hour']).default('second'),
  burst: z.number().int().positive().optional().describe('Requests that may come at once after a quiet time (the bucket size); default `rate`, at least 1.'),
});

const toolRule = bucket.extend({
  match: z.string().min(1).describe('A glob on the tool name (`search_*`); the first rule that matches a call applies.'),
  across: z
    .enum(['principal', 'all'])
    .default('principal')
    .describe('`principal` (default): each principal has its own bucket for these tools; `all`: one bucket for everyone.'),
});

export const rateLimitOptionsSchema = z
  .strictObject({
    principal: bucket.optional().describe("Each principal's requests (all methods but ping), one bucket per principal."),
    tools: z.array(toolRule).default([]).describe('Limits on tools/call by tool name.'),
    notifications: bucket
      .default({ rate: 20, per: 'second', burst: 100 })
      .describe(
        "Each principal's notifications (a client's notifications have no answer: past the limit they are dropped and counted); they also draw on `principal` when it is given.",
      ),
    upstreams: z.record(z.string().min(1), bucket).default({}).describe('Limits on every request routed to an upstream, for everyone together.'),
    maxBuckets: z.number().int().positive().default(10_000).describe('Buckets kept at once; past it the least recently used is dropped (a full bucket first).'),
  })
  .refine((o) => o.principal !== undefined || o.tools.length > 0 || Object.keys(o.upstreams).length > 0, 'give principal, tools or upstreams');

export type RateLimitOptions = z.input<typeof rateLimitOptionsSchema>;
export type ResolvedRateLimitOptions = z.output<typeof rateLimitOptionsSchema>;
export type BucketOptions = z.output<typeof bucket>;

/** A bucket's refill in tokens per millisecond, and its size. */
export function shapeOf(b: BucketOptions): { perMs: number; size: number } {
  return { perMs: b.rate / UNITS[b.per], size: b.burst ?? Math.max(1, Math.floor(b.rate)) };
}

/** How a limit reads in an error: `10 per second (burst 20)`. */
export const describeBucket = (b: BucketOptions): string => `${b.rate} per ${b.per} (burst ${shapeOf(b).size})`;
