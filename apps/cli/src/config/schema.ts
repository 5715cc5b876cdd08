import { authOptionsSchema } from '@mcproxy/auth';
import { defaultTimeouts } from '@mcproxy/core';
import { z } from 'zod';
import { credentialsSchema, publicUrlSchema, upstreamAuthSchema } from './credentials-schema.js';
import { limitsSchema, supervisionSchema } from './limits-schema.js';
import { adminSchema, tracingSchema } from './observability-schema.js';
import { storeSchema } from './store-schema.js';

const mode = z.enum(['shared', 'per-session']);
// The `.describe()` texts are what editors show from the generated JSON Schema
// (schema/pipeline.schema.json); they never change the loader's error messages.
const protocol = z
  .enum(['auto', '2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'])
  .default('auto')
  .describe(
    'The MCP revision this upstream speaks. `auto` (default): it is asked with server/discover the first time a 2026-07-28 client needs it. A revision pins it: 2026-07-28 is never probed; with an older one, 2026-07-28 clients are told at once that it is out of their reach.',
  );

/** Whether readiness, and a URL upstream's startup, wait for this upstream: the same for every kind. */
const required = z
  .boolean()
  .default(false)
  .describe(
    'Readiness (GET /readyz on the admin listener) waits for this upstream to answer its probe, and a URL upstream that cannot be reached at startup stops mcproxy (exit 1) instead of a warning (default false).',
  );

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, "_", "." and "-", starting with a letter or digit');

/** Keys desktop hosts write in `mcpServers` entries: accepted; `disabled: true` leaves the server out, the rest is logged at debug and ignored. */
const hostKeys = {
  disabled: z.boolean().optional().describe("Desktop hosts' switch: `true` leaves this server out."),
  autoApprove: z.array(z.string()).optional().describe('Written by desktop hosts; mcproxy accepts and ignores it.'),
  alwaysAllow: z.array(z.string()).optional().describe('Written by desktop hosts; mcproxy accepts and ignores it.'),
  timeout: z.number().optional().describe('Written by desktop hosts; mcproxy accepts and ignores it (deadlines are set in `timeouts`).'),
};

/** An upstream started as a child process and spoken to over its stdin/stdout. */
export const stdioUpstreamSchema = z
  .strictObject({
    command: z.string().min(1).describe('The program to start (looked up on PATH); the server speaks MCP on its stdin and stdout.'),
    args: z.array(z.string()).default([]).describe('Its arguments.'),
    env: z.record(z.string(), z.string()).default({}).describe('Variables set for the child, besides those it inherits (see inheritEnv).'),
    inheritEnv: z
      .union([z.enum(['minimal', 'all']), z.array(z.string().regex(/^[^=]+$/, 'a variable name, without "="'))])
      .default('minimal')
      .describe(
        "Which of the proxy's own environment variables the child gets besides `env`: `minimal` (default: HOME, LOGNAME, PATH, SHELL, TERM, USER and the CA certificate paths), `all`, or a list of names passed in addition to the minimal set.",
      ),
    cwd: z.string().optional().describe("The child's working directory, relative to this file."),
    mode: mode.default('shared').describe('`shared` (default for stdio): one child for all client sessions; `per-session`: one child per client session.'),
    protocol,
    required,
    type: z.literal('stdio').optional().describe("Desktop hosts' `mcpServers` entries may carry this; only stdio is meant by it."),
    ...hostKeys,
  })
  .describe('A server started as a child process and spoken to over its stdin and stdout.');

/** An upstream reached over HTTP: streamable HTTP, or the legacy HTTP+SSE transport. */
export const httpUpstreamSchema = z
  .strictObject({
    url: z.url({ protocol: /^https?$/ }).describe("The server's endpoint (http or https)."),
    headers: z
      .record(z.string(), z.string())
      .default({})
      .describe('Headers sent with every request to it (for example Authorization); their values are never logged.'),
    auth: upstreamAuthSchema.optional(),
    mode: mode.default('per-session').describe('`per-session` (default for URLs): one upstream session per client session; `shared`: one for all.'),
    protocol,
    required,
    transport: z
      .enum(['auto', 'streamable-http', 'sse'])
      .optional()
      .describe('`auto` (default): streamable HTTP, falling back to the legacy HTTP+SSE transport as the spec describes; or force one of them.'),
    http2: z
      .union([z.enum(['auto', 'prior-knowledge']), z.literal(false)])
      .optional()
      .describe(
        '`auto` (default): HTTP/2 when an https server offers it by ALPN, HTTP/1.1 otherwise; `prior-knowledge`: HTTP/2 from the first byte (cleartext h2c for an http URL, as behind a service mesh); `false`: HTTP/1.1 only.',
      ),
    type: z
      .enum(['http', 'streamable-http', 'streamableHttp', 'sse'])
      .optional()
      .describe("Desktop hosts' `mcpServers` entries say which transport this way; `transport` wins if both are given."),
    ...hostKeys,
  })
  .describe('A server reached over HTTP: streamable HTTP, or the legacy HTTP+SSE transport.')
  .transform(({ type, transport, ...rest }) => ({
    ...rest,
    transport: transport ?? (type === undefined ? ('auto' as const) : type === 'sse' ? ('sse' as const) : ('streamable-http' as const)),
  }));

export type StdioUpstream = z.output<typeof stdioUpstreamSchema>;
export type HttpUpstream = z.output<typeof httpUpstreamSchema>;
export type Upstream = StdioUpstream | HttpUpstream;

const allowedHosts = z
  .array(z.string())
  .optional()
  .describe('Host header values accepted, replacing the default (the loopback names, or the host the server is bound to); ["*"] allows any.');
const allowedOrigins = z
  .array(z.string())
  .optional()
  .describe('Origins accepted from browsers (such as https://app.example), replacing the default rule that an Origin names an allowed host; ["*"] allows any.');
const dnsRebindingProtection = 'Whether Host and Origin must name this server (default true).';
const cors = z
  .strictObject({
    origins: z.array(z.string().min(1)).min(1).describe('Origins whose pages may call the endpoint, such as https://app.example; ["*"]: any.'),
    maxAgeSec: z.number().int().min(0).max(86_400).optional().describe('How long browsers may keep a preflight answer, in seconds (default 600).'),
  })
  .optional()
  .describe(
    'CORS for browser clients: preflights answered, Access-Control-* headers added (Mcp-Session-Id exposed). These origins also pass the DNS-rebinding check.',
  );
const tls = z
  .strictObject({
    cert: z.string().min(1).describe('The certificate chain, a PEM file (relative to this file).'),
    key: z.string().min(1).describe('Its private key, a PEM file.'),
    ca: z.string().min(1).optional().describe('CA certificates (PEM file): when given, clients must present a certificate one of them signed.'),
  })
  .optional()
  .describe('Serve HTTPS. The files are read again on SIGHUP (new connections get the new certificate).');

const httpServeSchema = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1').describe('The address to listen on (default 127.0.0.1).'),
    port: z.number().int().min(0).max(65535).default(8080).describe('The port (default 8080); 0 picks a free one and logs the URL.'),
    path: z.string().startsWith('/').default('/mcp').describe("The endpoint's path (default /mcp)."),
    allowedHosts,
    allowedOrigins,
    dnsRebindingProtection: z.boolean().default(true).describe(dnsRebindingProtection),
    cors,
    tls,
    http2: z
      .union([
        z.boolean(),
        z.strictObject({
          maxConcurrentStreams: z
            .number()
            .int()
            .min(1)
            .max(2 ** 31 - 1)
            .optional()
            .describe('Streams one HTTP/2 connection may have open at once (default 100).'),
        }),
      ])
      .optional()
      .describe(
        'Serve HTTP/2 too, on the same port: with tls to clients that choose h2 by ALPN (the others keep HTTP/1.1), without tls to clients that open with the HTTP/2 preface (h2c with prior knowledge, as service meshes send). The limits apply per stream. Default false.',
      ),
    publicUrl: publicUrlSchema,
  })
  .describe('Serve streamable HTTP.');

/**
 * The legacy HTTP+SSE transport. Beside `http` it shares that server's port
 * unless given a port of its own; alone it takes the same server options.
 */
const sseServeSchema = z
  .strictObject({
    path: z.string().startsWith('/').default('/sse').describe('Where clients open the event stream with GET (default /sse).'),
    messagesPath: z.string().startsWith('/').default('/messages').describe('Where clients POST their messages (default /messages).'),
    host: z.string().min(1).optional().describe("The address to listen on; beside `http`, that server's unless a port is given."),
    port: z.number().int().min(0).max(65535).optional().describe("A port of its own; without one, beside `http`, it shares that server's port."),
    allowedHosts,
    allowedOrigins,
    dnsRebindingProtection: z.boolean().optional().describe(dnsRebindingProtection),
    cors: cors.describe('CORS on its own port (beside `http` on the same port, http.cors applies).'),
    tls: tls.describe('HTTPS on its own port (beside `http` on the same port, http.tls applies).'),
  })
  .describe('Serve the legacy HTTP+SSE transport, for old clients.');

const serveSchema = z
  .strictObject({
    stdio: z
      .union([z.boolean(), z.strictObject({})])
      .optional()
      .describe('Also serve one session on stdin/stdout; mcproxy then exits when that client closes its end.'),
    http: httpServeSchema.optional(),
    sse: sseServeSchema.optional(),
  })
  .refine((s) => Boolean(s.stdio) || s.http !== undefined || s.sse !== undefined, 'serve needs at least one of "stdio", "http" or "sse"')
  .refine(
    (s) => s.http === undefined || s.sse === undefined || s.sse.port !== undefined || (s.sse.path !== s.http.path && s.sse.messagesPath !== s.http.path),
    'sse shares the http port: its path and messagesPath must differ from http.path',
  );

const durationMs = z.number().int().positive();

/** One middleware entry of a pipeline (top-level or a route's): what to load, its options, and whom it is for. */
const pipelineEntrySchema = z.strictObject({
  use: z.string().min(1).describe('A built-in (logging, filter, rename, aggregate, tool-search, rate-limit), an npm package, or a path relative to this file.'),
  with: z.record(z.string(), z.unknown()).default({}).describe("That middleware's options."),
  when: z
    .strictObject({
      principals: z
        .array(z.string().min(1))
        .min(1)
        .optional()
        .describe('Principals this entry is for: `api-key:<id>`, `jwt:<sub>`, or a bare id where it can mean only one of them.'),
      scopes: z.array(z.string().min(1)).min(1).optional().describe('Scopes the principal must all hold.'),
    })
    .refine((w) => w.principals !== undefined || w.scopes !== undefined, 'give principals, scopes or both')
    .optional()
    .describe('Run this entry only for requests whose authenticated principal matches (see auth); it is skipped for everyone else.'),
});

/** The pipeline file, as written (upstream entries are checked one by one afterwards). */
export const pipelineFileSchema = z
  .strictObject({
    // Editors read it to find the JSON Schema; the loader has no use for it.
    $schema: z.string().optional().describe('The JSON Schema this file follows, for editors; mcproxy ignores it.'),
    serve: serveSchema
      .default({ http: httpServeSchema.parse({}) })
      .describe('What to serve to clients: stdio, http, sse, or several at once (default: http on 127.0.0.1:8080/mcp).'),
    upstreams: z
      .record(name, z.record(z.string(), z.unknown()))
      .optional()
      .describe('The servers behind the proxy, by name: `command` for one started over stdio, `url` for one over HTTP. The name appears in logs and errors.'),
    mcpServers: z
      .record(name, z.record(z.string(), z.unknown()))
      .optional()
      .describe('The object desktop hosts use, accepted as it is, in place of or beside `upstreams`.'),
    pipeline: z.array(pipelineEntrySchema).default([]).describe('The middleware every message goes through, in order (first = nearest the client).'),
    routes: z
      .record(
        z.string().describe('The path, such as /gdrive.'),
        z.strictObject({
          upstreams: z.record(name, z.record(z.string(), z.unknown())).optional().describe("This route's servers, as in the top-level `upstreams`."),
          mcpServers: z.record(name, z.record(z.string(), z.unknown())).optional().describe("The same in the desktop hosts' form."),
          pipeline: z
            .array(pipelineEntrySchema)
            .default([])
            .describe("This route's middleware, in order; `when:` works as at the top level (the top-level pipeline never runs for a route)."),
          auth: authOptionsSchema
            .optional()
            .describe(
              "Who may use this route, in place of the top-level `auth` (default: the top-level `auth`, with a JWT's audience and metadata made this route's own: the resource identifier's path replaced by the route's).",
            ),
        }),
      )
      .optional()
      .describe('More endpoints on the HTTP port, each a path with upstreams and a pipeline of its own (a proxy of its own: sessions, limits, names).'),
    discover: z
      .union([
        z.string().min(1),
        z.strictObject({
          dir: z.string().min(1).describe('The folder, relative to this file.'),
          as: z
            .enum(['aggregate', 'routes'])
            .default('aggregate')
            .describe('`aggregate` (default): every entry is an upstream of this endpoint; `routes`: each is served at /<name>.'),
        }),
      ])
      .optional()
      .describe(
        'A folder whose entries become upstreams: folders with a registry server.json or a package.json (bin or main), and *.mcp.json files; read again on every reload.',
      ),
    timeouts: z
      .strictObject({
        requestMs: durationMs.describe(`An answer must come within this many milliseconds (default ${defaultTimeouts.requestMs}).`),
        maxMs: durationMs.describe(`The latest an answer may come, in milliseconds, however much progress is reported (default ${defaultTimeouts.maxMs}).`),
        resetOnProgress: z.boolean().describe(`Whether a progress notification starts requestMs again (default ${defaultTimeouts.resetOnProgress}).`),
      })
      .partial()
      .default({})
      .describe('Deadlines for requests forwarded upstream.'),
    auth: authOptionsSchema.optional(),
    credentials: credentialsSchema.optional(),
    limits: limitsSchema,
    supervision: supervisionSchema,
    chain: z
      .strictObject({
        id: name.describe("This proxy's name in hop lists (default mcproxy-<random hex>)."),
        maxHops: z.number().int().min(1).max(64).describe('Requests that passed through more proxies than this are refused.'),
      })
      .partial()
      .default({})
      .describe("This proxy's place in a chain of proxies (see docs/chaining.md)."),
    admin: adminSchema.optional(),
    tracing: tracingSchema.optional(),
    store: storeSchema.optional(),
  })
  .describe('An mcproxy pipeline file: what to serve, the servers behind the proxy, and the middleware between them.');

export type PipelineFile = z.output<typeof pipelineFileSchema>;
export type HttpServe = z.output<typeof httpServeSchema>;
export type SseServe = z.output<typeof sseServeSchema>;

/** One more endpoint on the HTTP port: its own upstreams and middleware. */
export interface Route {
  upstreams: Record<string, Upstream>;
  pipeline: PipelineFile['pipeline'];
  /** Who may use it, in place of the top-level `auth`; undefined: the top-level one, made this route's own resource. */
  auth?: PipelineFile['auth'];
}

/** A checked pipeline: what the CLI builds a proxy from. */
export interface Pipeline {
  serve: { stdio: boolean; http: HttpServe | undefined; sse: SseServe | undefined };
  upstreams: Record<string, Upstream>;
  pipeline: PipelineFile['pipeline'];
  /** Endpoints besides the top-level one, by path. */
  routes: Record<string, Route>;
  /** The folder whose entries are upstreams, absolute, and how they are served. */
  discover: { dir: string; as: 'aggregate' | 'routes' } | undefined;
  /** What the file said that mcproxy accepted and ignored (keys desktop hosts write), for a debug line. */
  ignored: string[];
  /** Who may use the HTTP and SSE faces; undefined: no authentication. */
  auth: PipelineFile['auth'];
  /** Where tokens toward upstreams are kept (`auth.tokenExchange`, `auth.oauth`); undefined: in memory. */
  credentials?: PipelineFile['credentials'];
  timeouts: PipelineFile['timeouts'];
  limits: PipelineFile['limits'];
  supervision: PipelineFile['supervision'];
  chain: PipelineFile['chain'];
  admin?: PipelineFile['admin'];
  tracing?: PipelineFile['tracing'];
  /** The shared store of several replicas; undefined: one process, everything in memory. */
  store?: PipelineFile['store'];
  /** Where relative paths in the file (middleware modules, cwd) start from. */
  baseDir: string;
  /** Set when the pipeline was typed as flags (a quick form), so messages name flags rather than a file's sections. */
  origin?: 'command line';
}

export { httpServeSchema };
