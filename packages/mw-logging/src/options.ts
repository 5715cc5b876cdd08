import { resolve } from 'node:path';
import { z } from 'zod';

/** What a user might write to mean stdout. The proxy may be speaking MCP there. */
const STDOUT_NAMES = new Set(['stdout', '-', '1']);
const STDOUT_PATHS = new Set(['/dev/stdout', '/dev/fd/1', '/proc/self/fd/1']);
const NOT_STDOUT = 'stdout may carry MCP messages, so traffic is never logged there: use "stderr" or a file path';

const isStdout = (d: string | number): boolean => d === 1 || (typeof d === 'string' && (STDOUT_NAMES.has(d) || STDOUT_PATHS.has(resolve(d))));

/** The first segment of a redact path: the payload it reaches into. */
const PAYLOADS = ['params', 'result', 'error'];

// A pattern rather than a refine, so the JSON Schema generated for editors says it too.
const redactPath = z
  .string()
  .regex(
    new RegExp(`^(${PAYLOADS.join('|')})([.[]|$)`),
    'a redact path starts with the payload it reaches into: params, result or error (e.g. params.arguments.password)',
  );

export const loggingOptionsSchema = z
  .object({
    /** The pino level of every traffic line. */
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
    /**
     * The audit preset: one line per client request, written when it ends:
     * who (principal), what (method and name), outcome, duration; nothing
     * for notifications or for what upstreams ask. Give it a destination of
     * its own (a file) to keep an audit trail apart from the traffic log.
     */
    audit: z.boolean().default(false),
    /** Log request params, results and error data as well as names and outcomes. */
    payloads: z.boolean().default(false),
    /** Each payload is cut to about this many bytes of JSON, keeping its shape. */
    maxPayloadBytes: z.number().int().positive().default(8192),
    /** Paths in the logged payloads to censor, as pino redact paths: `params.arguments.password`, `result.content`. */
    redact: z.array(redactPath).default([]),
    /** `stderr`, or a file path (appended to; its folder is created). Never stdout. */
    destination: z
      .union([z.string().min(1), z.number().int()])
      .default('stderr')
      .superRefine((d, ctx) => {
        if (isStdout(d)) ctx.addIssue({ code: 'custom', message: NOT_STDOUT });
        else if (typeof d === 'number' && d !== 2)
          ctx.addIssue({ code: 'custom', message: 'a numeric destination can only be 2 (stderr); give other files by path' });
      }),
  })
  .strict();

/** The options of `logging`, as written in a pipeline file. */
export type LoggingOptions = z.input<typeof loggingOptionsSchema>;
/** The options once defaults are filled in. */
export type ResolvedLoggingOptions = z.output<typeof loggingOptionsSchema>;
