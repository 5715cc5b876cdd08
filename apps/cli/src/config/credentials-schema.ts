import { ConfigError } from '@mcproxy/core';
import { z } from 'zod';

// Credentials toward upstreams (issue 26): a URL upstream's `auth:`, the
// top-level `credentials:` (where tokens live) and serve.http.publicUrl (the
// base of the redirect URI). The shapes are @mcproxy/upstream-auth's
// `UpstreamAuthConfig`. Below them, the checks that compare them with the
// rest of the file.

const scopes = z.array(z.string().min(1)).min(1).optional().describe('The scopes to ask for.');
const clientId = z.string().min(1).describe("mcproxy's client id at the authorization server.");
const clientSecret = z.string().min(1).optional().describe('Its client secret (write "${VAR}": it is never logged).');
const issuer = z
  .url({ protocol: /^https?$/ })
  .optional()
  .describe("The authorization server's issuer, when the upstream's metadata (RFC 9728) should not be asked for it.");

const clientCredentials = z
  .strictObject({
    clientId,
    clientSecret,
    privateKey: z.string().min(1).optional().describe('For private_key_jwt: a PEM private key, or the path of a PEM file relative to this file.'),
    privateKeyAlg: z.string().min(1).optional().describe('The JWS algorithm of privateKey (default from the key: RS256, ES256, …).'),
    scopes,
    tokenEndpointAuthMethod: z
      .enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt'])
      .optional()
      .describe('How mcproxy proves who it is at the token endpoint (default client_secret_basic, or private_key_jwt with privateKey).'),
    issuer,
  })
  .describe("The upstream's own token (OAuth client_credentials): one for all clients, refreshed before it expires.");

const tokenExchange = z
  .strictObject({
    clientId,
    clientSecret,
    audience: z.string().min(1).optional().describe('The `audience` to ask for (RFC 8693); the upstream URL is the `resource` (RFC 8707).'),
    scopes,
    subjectTokenType: z.string().min(1).optional().describe('The `subject_token_type` of the token exchanged (default urn:ietf:params:oauth:token-type:jwt).'),
    issuer,
  })
  .describe("Each principal's own token (RFC 8693): the JWT it presented to mcproxy (auth.jwt) exchanged for one for this upstream.");

const oauth = z
  .strictObject({
    scopes,
    clientId: z
      .string()
      .min(1)
      .optional()
      .describe('A client id registered at the authorization server (default: a Client ID Metadata Document, else dynamic registration).'),
    clientSecret,
    clientMetadataUrl: z
      .url({ protocol: /^https$/ })
      .optional()
      .describe("The https URL of mcproxy's Client ID Metadata Document, used as its client id where the server supports them."),
    tokenEndpointAuthMethod: z.string().min(1).optional().describe('How mcproxy proves who it is at the token endpoint (default: what registration gave).'),
  })
  .describe('Per user: each principal authorizes in a browser once (authorization code with PKCE); needs auth on the HTTP face.');

const MODES = ['clientCredentials', 'tokenExchange', 'oauth'] as const;

/** A URL upstream's `auth:`: exactly one of the three modes. */
export const upstreamAuthSchema = z
  .strictObject({ clientCredentials: clientCredentials.optional(), tokenExchange: tokenExchange.optional(), oauth: oauth.optional() })
  .superRefine((a, ctx) => {
    const given = MODES.filter((m) => a[m] !== undefined);
    if (given.length !== 1)
      ctx.addIssue({ code: 'custom', message: `expected exactly one of ${MODES.join(', ')}${given.length > 1 ? ` (got ${given.join(' and ')})` : ''}` });
  })
  // JSON Schema's way of saying "exactly one" for editors: one key of the three.
  .meta({ minProperties: 1, maxProperties: 1 })
  .describe(
    "Credentials mcproxy gets for itself toward this upstream (a client's own token is never passed on). Not with an `authorization` entry in headers.",
  );

export type UpstreamAuth = z.output<typeof upstreamAuthSchema>;

/** 32 bytes, as 64 hex digits or base64 (url-safe or not). */
export function keyBytes(text: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) return undefined;
  const bytes = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return bytes.length === 32 ? bytes : undefined;
}

/** The top-level `credentials:`: where per-user and exchanged tokens are kept. */
export const credentialsSchema = z
  .strictObject({
    store: z
      .union([z.literal('memory'), z.strictObject({ file: z.string().min(1).describe('The file, relative to this file; written atomically, mode 0600.') })])
      .default('memory')
      .describe('`memory` (default: tokens are lost on restart), or `{ file }`: encrypted at rest (AES-256-GCM) with `key`.'),
    // Its form (32 bytes) is checked when the store is made: a "${VAR}" the loader takes literally must pass here.
    key: z.string().min(1).optional().describe('The encryption key of a file store: 32 bytes, as 64 hex digits or base64 (write "${VAR}"); never logged.'),
  })
  .refine((c) => c.store === 'memory' || c.key !== undefined, { message: 'a file store needs `key` (32 bytes, base64 or hex)', path: ['key'] })
  .describe('Where tokens toward upstreams are kept (those of `auth.tokenExchange` and `auth.oauth`; default: in memory).');

export type Credentials = z.output<typeof credentialsSchema>;

/** serve.http.publicUrl: where browsers reach this face (the redirect URI is `<publicUrl>/oauth/callback`). */
export const publicUrlSchema = z
  .url({ protocol: /^https?$/ })
  .refine((u) => !/[?#]/.test(u), 'a URL without query or fragment')
  .transform((u) => u.replace(/\/+$/, ''))
  .optional()
  .describe(
    'The URL browsers reach this face at, for the OAuth redirect URI (<publicUrl>/oauth/callback) of upstreams with auth.oauth (default http(s)://<host>:<port>).',
  );

const refuse = (file: string, at: string, why: string): never => {
  throw new ConfigError(`invalid pipeline file ${file}:\n  at ${at}: ${why}`);
};

/**
 * What an upstream entry may not say with `auth:`, checked before its shape:
 * credentials are for URL upstreams, and they own the Authorization header.
 */
export function checkAuthEntry(file: string, at: string, raw: Record<string, unknown>): void {
  if (!('auth' in raw)) return;
  if ('command' in raw) {
    refuse(file, `${at}.auth`, 'credentials are for URL upstreams; give a command upstream its secrets in `env`');
  }
  const headers = raw.headers;
  if (typeof headers === 'object' && headers !== null && Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) {
    refuse(file, `${at}.headers`, 'an upstream with `auth` gets its Authorization header from its credentials: remove the authorization header');
  }
}

/** Who a face authenticates, as far as these checks care. */
interface FaceAuth {
  apiKeys?: unknown;
  jwt?: unknown;
}

/** What the checks read of a checked pipeline (structurally: schema.ts imports this file). */
interface Judged {
  serve: { http?: unknown };
  upstreams: Record<string, object>;
  routes: Record<string, { upstreams: Record<string, object>; auth?: FaceAuth | undefined }>;
  auth?: FaceAuth | undefined;
}

const modeOf = (u: object): string | undefined => {
  const auth = (u as { auth?: unknown }).auth;
  return typeof auth === 'object' && auth !== null ? Object.keys(auth)[0] : undefined;
};

/**
 * Per-user modes need a principal: `oauth` an HTTP face that authenticates
 * (and serves the callback), `tokenExchange` a JWT to exchange (`auth.jwt`).
 * A route's upstreams are judged by the route's own auth, else the top-level one.
 */
export function checkCredentialModes(file: string, pipeline: Judged): void {
  const sections: Array<[string, Record<string, object>, FaceAuth | undefined]> = [
    ['upstreams', pipeline.upstreams, pipeline.auth],
    ...Object.entries(pipeline.routes).map(([path, r]): [string, Record<string, object>, FaceAuth | undefined] => [
      `routes.${path}.upstreams`,
      r.upstreams,
      r.auth ?? pipeline.auth,
    ]),
  ];
  for (const [at, upstreams, auth] of sections) {
    for (const [name, upstream] of Object.entries(upstreams)) {
      const mode = modeOf(upstream);
      const where = `${at}.${name}.auth.${mode}`;
      if (mode === 'oauth') {
        if (pipeline.serve.http === undefined) refuse(file, where, 'per-user authorization needs serve.http, where the browser comes back (/oauth/callback)');
        if (auth === undefined || (auth.apiKeys === undefined && auth.jwt === undefined)) {
          refuse(file, where, 'per-user tokens need a principal: add `auth` (apiKeys or jwt) so the HTTP face knows who each client is');
        }
      }
      if (mode === 'tokenExchange' && auth?.jwt === undefined) {
        refuse(file, where, 'token exchange trades the JWT a client presented: add `auth.jwt` so clients present one');
      }
    }
  }
}
