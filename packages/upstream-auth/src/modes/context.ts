import type { Logger } from '@mcproxy/core';
import type { Discovery } from '../discovery.js';
import { CredentialsError } from '../errors.js';
import type { HttpLimits } from '../http/bounded-fetch.js';
import type { GrantName, TokenRequest } from '../http/token-request.js';
import { requestToken } from '../http/token-request.js';
import type { StoredTokens } from '../store/token-store.js';
import type { UpstreamAuthEnv } from '../types.js';

/** What every mode of one upstream is built from. */
export interface ModeContext {
  upstream: string;
  url: string;
  env: UpstreamAuthEnv;
  /** The env's fetch (or the global one), bounded in time and bytes. */
  fetch: typeof fetch;
  limits: HttpLimits;
  discovery: Discovery;
  log: Logger | undefined;
}

/**
 * A token request that reports its grant and outcome (metrics) and turns
 * any unexpected failure into a CredentialsError naming the upstream.
 */
export async function tokenFor(ctx: ModeContext, grant: GrantName, req: Omit<TokenRequest, 'upstream' | 'grant' | 'fetch' | 'limits'>): Promise<StoredTokens> {
  try {
    const tokens = await requestToken({ ...req, upstream: ctx.upstream, grant, fetch: ctx.fetch, limits: ctx.limits });
    ctx.env.onEvent?.({ upstream: ctx.upstream, grant, outcome: 'ok' });
    ctx.log?.debug({ upstream: ctx.upstream, grant }, 'upstream-auth: token obtained');
    return tokens;
  } catch (err) {
    ctx.env.onEvent?.({ upstream: ctx.upstream, grant, outcome: 'error' });
    const failure = err instanceof CredentialsError ? err : new CredentialsError(ctx.upstream, `the ${grant} request failed`);
    ctx.log?.warn({ upstream: ctx.upstream, grant, reason: failure.reason }, 'upstream-auth: token request failed');
    throw failure;
  }
}

/** When to renew a token: at 80 % of its lifetime (tokens without an expiry: never, until refused). */
export function renewAt(tokens: StoredTokens, now = Date.now()): number {
  if (tokens.expiresAt === undefined) return Number.POSITIVE_INFINITY;
  return now + (tokens.expiresAt - now) * 0.8;
}

/** A refusal of a token younger than this is not answered with a new token: the upstream would refuse that one too. */
export const FRESH_REFUSAL_MS = 5_000;
