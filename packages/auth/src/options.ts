import { z } from 'zod';

const scope = z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'a scope token (visible ASCII, no spaces, quotes or backslashes)');
const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.@:-]*$/, 'letters, digits, "_", ".", "@", ":" and "-", starting with a letter or digit');

/** One API key: its id (the principal's name) and the key itself, or only its SHA-256. */
export const apiKeySchema = z
  .strictObject({
    id: id.describe('The principal this key stands for: it appears in logs and in `when: { principals }`.'),
    sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, '64 hex digits (the SHA-256 of the key)')
      .optional()
      .describe('The SHA-256 of the key, in hex: the key itself need not be written anywhere the proxy reads.'),
    key: z.string().min(16, 'at least 16 characters').optional().describe('The key itself (use "${VAR}" to read it from the environment).'),
    scopes: z.array(scope).default([]).describe('Scopes this key grants, as a token would (for `when: { scopes }`).'),
  })
  .refine((k) => (k.sha256 === undefined) !== (k.key === undefined), 'give exactly one of "sha256" or "key"');

/** Bearer JWTs from an OAuth 2.1 authorization server: this proxy is the protected resource. */
export const jwtSchema = z
  .strictObject({
    jwksUrl: z.url({ protocol: /^https?$/ }).describe("The authorization server's JSON Web Key Set."),
    issuer: z.string().min(1).describe('The `iss` every token must carry.'),
    audience: z.string().min(1).describe("This proxy's resource identifier (RFC 8707), e.g. https://mcp.example/mcp: the `aud` every token must carry."),
    resource: z.url().optional().describe('The resource identifier published in the metadata, when it differs from `audience` (default: `audience`).'),
    scopes: z.array(scope).default([]).describe('Scopes every token must grant; a token without them gets 403 insufficient_scope.'),
    authorizationServers: z
      .array(z.url())
      .min(1)
      .optional()
      .describe('Issuers clients may get tokens from (RFC 9728 `authorization_servers`; default: `issuer`).'),
    algorithms: z
      .array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']))
      .min(1)
      .optional()
      .describe('Signature algorithms accepted (default: all of these asymmetric ones; never `none` or a shared secret).'),
    clockToleranceSec: z.number().int().min(0).max(300).default(30).describe('Skew allowed on `exp` and `nbf`, in seconds (default 30).'),
    jwksCacheMs: z.number().int().positive().default(600_000).describe('How long a fetched key set is used before it is fetched again (default 10 minutes).'),
    jwksCooldownMs: z
      .number()
      .int()
      .min(0)
      .default(30_000)
      .describe('A token with an unknown `kid` fetches the key set again at most this often (default 30 s).'),
    jwksTimeoutMs: z.number().int().positive().default(5000).describe('Longest wait for the key set, in milliseconds (default 5 s).'),
    verifiedCacheMs: z
      .number()
      .int()
      .min(0)
      .default(60_000)
      .describe(
        'A token that verified is trusted again, without checking its signature, for this long (never past its exp; default 60 s; 0: check every time). Bounded to 10 000 tokens.',
      ),
  })
  .describe('Bearer JWTs from an OAuth 2.1 authorization server (MCP authorization): this proxy is the protected resource.');

/** The pipeline file's top-level `auth:` section. */
export const authOptionsSchema = z
  .strictObject({
    apiKeys: z.array(apiKeySchema).optional().describe('Keys clients send as `Authorization: Bearer <key>` or `X-API-Key: <key>`.'),
    jwt: jwtSchema.optional(),
    allowUnauthenticated: z
      .boolean()
      .default(false)
      .describe('Serve without authentication even on an address beyond loopback. Only with neither apiKeys nor jwt.'),
    unmatched: z
      .enum(['skip', 'refuse'])
      .optional()
      .describe(
        'An authenticated principal that no `when:` entry of the pipeline names: `skip` (default) skips the entries with `when:`; `refuse` refuses its requests and drops its notifications.',
      ),
  })
  .refine((a) => !(a.allowUnauthenticated && (a.apiKeys !== undefined || a.jwt !== undefined)), 'allowUnauthenticated cannot be combined with apiKeys or jwt')
  .refine((a) => a.allowUnauthenticated || a.apiKeys !== undefined || a.jwt !== undefined, 'give apiKeys, jwt, or allowUnauthenticated: true')
  .refine((a) => new Set((a.apiKeys ?? []).map((k) => k.id)).size === (a.apiKeys ?? []).length, 'two API keys have the same id')
  .describe('Who may use the HTTP and SSE faces (stdio is a local pipe and is never authenticated).');

export type AuthOptions = z.input<typeof authOptionsSchema>;
export type ResolvedAuthOptions = z.output<typeof authOptionsSchema>;
export type JwtOptions = z.output<typeof jwtSchema>;
export type ApiKeyOptions = z.output<typeof apiKeySchema>;
