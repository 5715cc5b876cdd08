import { z } from 'zod';

/** Characters the 2025-11-25 spec allows in a tool name. */
export const TOOL_NAME_CHARS = /^[A-Za-z0-9_.-]+$/;

export const optionsSchema = z
  .object({
    /**
     * When tool and prompt names get their upstream's name in front:
     * `collision` (only names two upstreams share), `always`, or `never`
     * (then a shared name is an error that names both upstreams).
     */
    prefix: z.enum(['collision', 'always', 'never']).default('collision'),
    /** Between the upstream's name and the item's: must itself be valid in a tool name. */
    separator: z.string().min(1).max(8).regex(TOOL_NAME_CHARS, 'only letters, digits, "_", "-" and "." keep a tool name valid').default('__'),
    /** How long a list, ping or setLevel waits for each upstream before answering without it. */
    timeoutMs: z.number().int().positive().default(5_000),
    /**
     * How long a list waits for an upstream that has not answered anything
     * yet: a server still starting (npx's first download). Once it has
     * answered, `timeoutMs` applies.
     */
    startupTimeoutMs: z.number().int().positive().default(30_000),
    /** How long `initialize` waits for each upstream (servers started by npx can be slow to come up). */
    initializeTimeoutMs: z.number().int().positive().default(30_000),
    /** Items per page of the merged lists; absent: every item on one page. */
    pageSize: z.number().int().positive().optional(),
    /** After an upstream fails, how long calls to it fail fast before it is tried again (doubles up to 30 s). */
    retryMs: z.number().int().nonnegative().default(1_000),
    /** What the proxy calls itself in `initialize`. */
    serverInfo: z
      .object({
        name: z.string().min(1).default('mcproxy'),
        version: z.string().min(1).default('0.1.0'),
        title: z.string().optional(),
      })
      .prefault({}),
    /** Put in front of the upstreams' own instructions. */
    instructions: z.string().optional(),
    /**
     * The HMAC key that seals the requestState of input_required rounds
     * (2026-07-28 clients). Absent: a random key per start, so a round begun
     * before a restart must be begun again. Give one to several proxies behind
     * a load balancer so a retry may reach any of them.
     */
    stateKey: z.string().min(32, 'a stateKey needs at least 32 characters').optional(),
    /** How long a client may take to answer an input_required round. */
    stateTtlMs: z.number().int().positive().default(600_000),
  })
  .strict();

export type AggregateOptions = z.input<typeof optionsSchema>;
export type Options = z.output<typeof optionsSchema>;
