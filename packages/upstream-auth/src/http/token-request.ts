import { z } from 'zod';
import { CredentialsError } from '../errors.js';
import type { StoredTokens } from '../store/token-store.js';
import { failureReason, type HttpLimits, ResponseTooLargeError } from './bounded-fetch.js';
import type { ClientAuth } from './client-auth.js';

export type GrantName = 'client_credentials' | 'token_exchange' | 'authorization_code' | 'refresh_token';

/** The authorization server refused the grant (an RFC 6749 §5.2 error): not retried. `invalid_grant` means consent again. */
export class GrantRefusedError extends CredentialsError {
  constructor(
    upstream: string,
    grant: GrantName,
    readonly oauthError: string,
  ) {
    super(upstream, `the authorization server refused the ${grant} grant (${oauthError})`);
    this.name = 'GrantRefusedError';
  }
}

const TokenResponse = z.object({
  access_token: z
    .string()
    .min(1)
    .max(64 * 1024),
  token_type: z.string().min(1).max(64),
  expires_in: z.coerce.number().positive().optional(),
  refresh_token: z
    .string()
    .min(1)
    .max(64 * 1024)
    .optional(),
  scope: z.string().max(8192).optional(),
});
const ErrorResponse = z.object({ error: z.string() });

export interface TokenRequest {
  upstream: string;
  grant: GrantName;
  issuer: string;
  endpoint: string;
  params: URLSearchParams;
  auth: ClientAuth;
  fetch: typeof fetch;
  limits: HttpLimits;
  now?: () => number;
}

/**
 * One token request (RFC 6749 §3.2), the one place every grant goes
 * through: client authentication added per try (a fresh JWT assertion
 * each time), tried again with backoff while the server is down, slow or
 * answering 5xx/429, and its answer checked before anything is stored. A
 * refusal is a GrantRefusedError; anything else a CredentialsError whose
 * message says what happened and never echoes the answer.
 */
export async function requestToken(req: TokenRequest): Promise<StoredTokens> {
  let lastReason = 'no answer';
  for (let attempt = 0; attempt < req.limits.attempts; attempt += 1) {
    if (attempt > 0) await sleep(req.limits.backoffMs[Math.min(attempt - 1, req.limits.backoffMs.length - 1)] ?? 0);
    const headers = new Headers({ 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' });
    const params = new URLSearchParams(req.params);
    await req.auth(headers, params, req.endpoint, req.issuer);
    let res: Response;
    try {
      res = await req.fetch(req.endpoint, { method: 'POST', headers, body: params });
    } catch (err) {
      if (err instanceof ResponseTooLargeError) throw new CredentialsError(req.upstream, `the token endpoint's ${err.message}`);
      lastReason = failureReason(err);
      continue;
    }
    if (res.status >= 500 || res.status === 429) {
      lastReason = `HTTP ${res.status}`;
      continue;
    }
    const json = parseJson(await res.text());
    if (!res.ok) {
      const refusal = ErrorResponse.safeParse(json);
      const code = refusal.success && /^[a-z_]{1,64}$/.test(refusal.data.error) ? refusal.data.error : undefined;
      if (code !== undefined) throw new GrantRefusedError(req.upstream, req.grant, code);
      throw new CredentialsError(req.upstream, `the token endpoint answered HTTP ${res.status}`);
    }
    const tokens = TokenResponse.safeParse(json);
    if (!tokens.success) throw new CredentialsError(req.upstream, 'the token endpoint answered something that is not a token response');
    const t = tokens.data;
    const now = (req.now ?? Date.now)();
    return {
      accessToken: t.access_token,
      tokenType: /^bearer$/i.test(t.token_type) || t.token_type === 'N_A' ? 'Bearer' : t.token_type,
      ...(t.expires_in === undefined ? {} : { expiresAt: now + t.expires_in * 1000 }),
      ...(t.refresh_token === undefined ? {} : { refreshToken: t.refresh_token }),
      ...(t.scope === undefined ? {} : { scope: t.scope }),
      issuer: req.issuer,
    };
  }
  throw new CredentialsError(req.upstream, `the authorization server is unreachable (${lastReason}, ${req.limits.attempts} tries)`);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `Bearer <token>` (the scheme as the server named it, Bearer when it said bearer). */
export const authorizationValue = (tokens: StoredTokens): string => `${tokens.tokenType} ${tokens.accessToken}`;

/** Is this token usable for at least `marginMs` more? Tokens without `expiresAt` are until refused. */
export const freshFor = (tokens: StoredTokens, marginMs: number, now = Date.now()): boolean =>
  tokens.expiresAt === undefined || tokens.expiresAt - marginMs > now;
