import { z } from 'zod';

const mode = z.enum(['shared', 'per-session']);
/**
 * Which MCP era an upstream speaks: `auto` (default) asks it with
 * `server/discover` the first time a 2026-07-28 client needs it; a revision
 * pins it (2026-07-28: never probed; an older one: modern clients are told at
 * once that it is out of their reach).
 */
const protocol = z.enum(['auto', '2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05']).default('auto');
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, "_", "." and "-", starting with a letter or digit');

/** An upstream started as a child process and spoken to over its stdin/stdout. */
export const stdioUpstreamSchema = z.strictObject({
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).default({}),
  /**
   * Which of the proxy's own environment variables the child gets besides `env`:
   * `minimal` (default: HOME, LOGNAME, PATH, SHELL, TERM, USER), `all`, or a list of
   * names passed in addition to the minimal set.
   */
  inheritEnv: z.union([z.enum(['minimal', 'all']), z.array(z.string().regex(/^[^=]+$/, 'a variable name, without "="'))]).default('minimal'),
  cwd: z.string().optional(),
  /** One child for all sessions (default), or one per session. */
  mode: mode.default('shared'),
  protocol,
  /** Desktop hosts' `mcpServers` entries may carry this; only stdio is meant by it. */
  type: z.literal('stdio').optional(),
});

/** An upstream reached over HTTP: streamable HTTP, or the legacy HTTP+SSE transport. */
export const httpUpstreamSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  headers: z.record(z.string(), z.string()).default({}),
  /** One upstream session per downstream session (default), or one for all. */
  mode: mode.default('per-session'),
  protocol,
  /** `auto` (default): streamable HTTP, falling back to SSE as the spec describes. */
  transport: z.enum(['auto', 'streamable-http', 'sse']).optional(),
  /** Desktop hosts' `mcpServers` entries say which transport this way. */
  type: z.enum(['http', 'streamable-http', 'streamableHttp', 'sse']).optional(),
}).transform(({ type, transport, ...rest }) => ({
  ...rest,
  transport: transport ?? (type === undefined ? 'auto' as const : type === 'sse' ? 'sse' as const : 'streamable-http' as const),
}));

export type StdioUpstream = z.output<typeof stdioUpstreamSchema>;
export type HttpUpstream = z.output<typeof httpUpstreamSchema>;
export type Upstream = StdioUpstream | HttpUpstream;

const httpServeSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8080),
  path: z.string().startsWith('/').default('/mcp'),
  allowedHosts: z.array(z.string()).optional(),
  allowedOrigins: z.array(z.string()).optional(),
  dnsRebindingProtection: z.boolean().default(true),
});

/**
 * The legacy HTTP+SSE transport. Beside `http` it shares that server's port
 * unless given a port of its own; alone it takes the same server options.
 */
const sseServeSchema = z.strictObject({
  path: z.string().startsWith('/').default('/sse'),
  messagesPath: z.string().startsWith('/').default('/messages'),
  host: z.string().min(1).optional(),
  port: z.number().int().min(0).max(65535).optional(),
  allowedHosts: z.array(z.string()).optional(),
  allowedOrigins: z.array(z.string()).optional(),
  dnsRebindingProtection: z.boolean().optional(),
});

const serveSchema = z
  .strictObject({
    stdio: z.union([z.boolean(), z.strictObject({})]).optional(),
    http: httpServeSchema.optional(),
    sse: sseServeSchema.optional(),
  })
  .refine((s) => Boolean(s.stdio) || s.http !== undefined || s.sse !== undefined, 'serve needs at least one of "stdio", "http" or "sse"')
  .refine((s) => s.http === undefined || s.sse === undefined || s.sse.port !== undefined || (s.sse.path !== s.http.path && s.sse.messagesPath !== s.http.path),
    'sse shares the http port: its path and messagesPath must differ from http.path');

const durationMs = z.number().int().positive();
const count = z.number().int().positive();

/**
 * Every bound the proxy keeps (see `Limits` in @mcproxy/core for what each
 * means and its default). Each hit is answered, logged and counted.
 */
const limitsSchema = z
  .strictObject({
    clientMessageBytes: count,
    upstreamMessageBytes: count,
    sessions: count,
    requestsPerSession: count,
    connections: count,
    headersTimeoutMs: durationMs,
    bodyTimeoutMs: durationMs,
    connectionIdleMs: durationMs,
    perSessionChildren: count,
    eventStoreBytes: count,
    sessionIdleMs: durationMs,
    slowReaderBytes: count,
  })
  .partial()
  .default({});

/** How upstreams that fail are retried: exponential backoff with jitter. */
const supervisionSchema = z
  .strictObject({ initialDelayMs: z.number().int().min(0), maxDelayMs: z.number().int().min(0), stableMs: z.number().int().min(0) })
  .partial()
  .refine((s) => s.initialDelayMs === undefined || s.maxDelayMs === undefined || s.maxDelayMs >= s.initialDelayMs, 'maxDelayMs must be at least initialDelayMs')
  .default({});

/** The pipeline file, as written (upstream entries are checked one by one afterwards). */
export const pipelineFileSchema = z.strictObject({
  serve: serveSchema.default({ http: httpServeSchema.parse({}) }),
  upstreams: z.record(name, z.record(z.string(), z.unknown())).optional(),
  /** The object desktop hosts use, accepted as it is. */
  mcpServers: z.record(name, z.record(z.string(), z.unknown())).optional(),
  pipeline: z
    .array(z.strictObject({ use: z.string().min(1), with: z.record(z.string(), z.unknown()).default({}) }))
    .default([]),
  timeouts: z
    .strictObject({ requestMs: durationMs, maxMs: durationMs, resetOnProgress: z.boolean() })
    .partial()
    .default({}),
  limits: limitsSchema,
  supervision: supervisionSchema,
  /** This proxy's place in a chain of proxies: its name in hop lists, and how many hops it accepts. */
  chain: z
    .strictObject({ id: name, maxHops: z.number().int().min(1).max(64) })
    .partial()
    .default({}),
});

export type PipelineFile = z.output<typeof pipelineFileSchema>;
export type HttpServe = z.output<typeof httpServeSchema>;
export type SseServe = z.output<typeof sseServeSchema>;

/** A checked pipeline: what the CLI builds a proxy from. */
export interface Pipeline {
  serve: { stdio: boolean; http: HttpServe | undefined; sse: SseServe | undefined };
  upstreams: Record<string, Upstream>;
  pipeline: Array<{ use: string; with: Record<string, unknown> }>;
  timeouts: PipelineFile['timeouts'];
  limits: PipelineFile['limits'];
  supervision: PipelineFile['supervision'];
  chain: PipelineFile['chain'];
  /** Where relative paths in the file (middleware modules, cwd) start from. */
  baseDir: string;
}

export { httpServeSchema };
