import { type Principal, principalKey } from '@mcproxy/core';
import { startAuthorization } from '@modelcontextprotocol/sdk/client/auth.js';
import { BoundedMap, SingleFlight } from '../bounded-map.js';
import { type Challenge, parseChallenge, type ServerInfo } from '../discovery.js';
import { ConsentRequiredError, CredentialsError } from '../errors.js';
import type { FlowDriver } from '../flows/authorization-flows.js';
import { clientAuthentication } from '../http/client-auth.js';
import { authorizationValue, freshFor, GrantRefusedError } from '../http/token-request.js';
import type { StoredTokens, TokenKey } from '../store/token-store.js';
import type { UpstreamAuthConfig, UpstreamCredentials } from '../types.js';
import { FRESH_REFUSAL_MS, type ModeContext, tokenFor } from './context.js';
import { chooseScope, OAuthClients } from './oauth-client.js';

type Config = Extract<UpstreamAuthConfig, { oauth: unknown }>['oauth'];

/**
 * Per-user OAuth (authorization code + PKCE S256): each principal's tokens
 * live in the store under (principal, issuer, resource). With none, the
 * call is answered with a ConsentRequiredError carrying the start URL of a
 * flow; an expired token is refreshed (single-flight per key) and removed
 * only when the server says `invalid_grant`. A 403 insufficient_scope opens
 * a step-up flow asking for what was granted plus what is challenged.
 */
export function oauthMode(ctx: ModeContext, config: Config): UpstreamCredentials {
  const { flows } = ctx.env;
  const clients = new OAuthClients(ctx.upstream, config, flows.redirectUri, ctx.fetch);
  const flight = new SingleFlight<string>();
  const refreshedAt = new BoundedMap<string, number>(10_000);

  const principalOf = (principal: Principal | undefined): string => {
    const key = principalKey(principal);
    if (key === undefined) throw new CredentialsError(ctx.upstream, 'per-user OAuth needs an authenticated principal, and this request has none');
    return key;
  };
  const keyOf = (principal: string, info: ServerInfo): TokenKey => ({ principal, issuer: info.issuer, resource: info.resource });

  function consent(principal: string, info: ServerInfo, challenged: string | undefined, granted: string | undefined): never {
    const scope = chooseScope(config, info, challenged, granted);
    const driver: FlowDriver = {
      async authorize(state) {
        // Discover again (cached): the flow may be started minutes later, after a migration.
        const now = await ctx.discovery.info();
        const client = await clients.for(now);
        const { authorizationUrl, codeVerifier } = await startAuthorization(now.issuer, {
          metadata: now.metadata,
          clientInformation: { client_id: client.clientId, ...(client.clientSecret === undefined ? {} : { client_secret: client.clientSecret }) },
          redirectUrl: flows.redirectUri,
          ...(scope === undefined ? {} : { scope }),
          state,
          resource: now.resource,
        });
        return {
          url: authorizationUrl.href,
          issuer: now.issuer,
          issRequired: (now.metadata as { authorization_response_iss_parameter_supported?: unknown }).authorization_response_iss_parameter_supported === true,
          async complete(code) {
            const params = new URLSearchParams({
              grant_type: 'authorization_code',
              code,
              code_verifier: codeVerifier,
              redirect_uri: flows.redirectUri,
              resource: now.resource,
            });
            const tokens = await tokenFor(ctx, 'authorization_code', {
              issuer: now.issuer,
              endpoint: now.metadata.token_endpoint,
              params,
              auth: clientAuthentication(client),
            });
            await ctx.env.store.set(keyOf(principal, now), { ...tokens, ...(tokens.scope === undefined && scope ? { scope } : {}) });
          },
        };
      },
    };
    const id = flows.open({ principal, upstream: ctx.upstream }, scope, driver);
    throw new ConsentRequiredError(ctx.upstream, flows.startUrl(id), id);
  }

  /** A new access token from the refresh token, single-flight per key; undefined when the grant is gone (consent again). */
  function refresh(key: TokenKey, tokens: StoredTokens, info: ServerInfo): Promise<StoredTokens | undefined> {
    const id = JSON.stringify(key);
    return flight.run(id, async () => {
      const latest = await ctx.env.store.get(key);
      if (latest && latest.accessToken !== tokens.accessToken && freshFor(latest, 30_000)) return latest;
      const client = await clients.for(info);
      const params = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refreshToken ?? '', resource: info.resource });
      try {
        const fresh = await tokenFor(ctx, 'refresh_token', {
          issuer: info.issuer,
          endpoint: info.metadata.token_endpoint,
          params,
          auth: clientAuthentication(client),
        });
        const kept: StoredTokens = {
          ...fresh,
          ...(fresh.refreshToken === undefined && tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
          ...(fresh.scope === undefined && tokens.scope ? { scope: tokens.scope } : {}),
        };
        await ctx.env.store.set(key, kept);
        refreshedAt.set(id, Date.now());
        return kept;
      } catch (err) {
        if (err instanceof GrantRefusedError && err.oauthError === 'invalid_grant') {
          await ctx.env.store.delete(key);
          return undefined;
        }
        throw err;
      }
    });
  }

  async function usable(principal: string, info: ServerInfo, challenge: Challenge): Promise<string> {
    const key = keyOf(principal, info);
    const tokens = await ctx.env.store.get(key);
    if (tokens && freshFor(tokens, 30_000)) return authorizationValue(tokens);
    if (tokens?.refreshToken) {
      const fresh = await refresh(key, tokens, info);
      if (fresh) return authorizationValue(fresh);
    } else if (tokens) {
      await ctx.env.store.delete(key);
    }
    return consent(principal, info, challenge.scope, tokens?.scope);
  }

  return {
    async authorization(principal) {
      const who = principalOf(principal);
      // Until the upstream has been discovered, send the first request bare: its 401 says where to go.
      const info = ctx.discovery.known();
      if (info === undefined) return undefined;
      return usable(who, info, {});
    },

    async refused(principal, refusal) {
      const who = principalOf(principal);
      const challenge = parseChallenge(refusal.challenge);
      // A token that was refused may belong to an authorization server the upstream has left.
      const info = await ctx.discovery.info(challenge, true, refusal.status === 401 && refusal.sent !== undefined);
      const key = keyOf(who, info);
      const tokens = await ctx.env.store.get(key);
      if (refusal.status === 403) {
        if (challenge.error !== 'insufficient_scope') return false;
        const granted = new Set((tokens?.scope ?? '').split(' '));
        const missing = (challenge.scope ?? '').split(' ').filter((s) => s && !granted.has(s));
        // The token already has every scope asked for and is still refused: another round would not help.
        if (missing.length === 0 && challenge.scope !== undefined) return false;
        return consent(who, info, challenge.scope, tokens?.scope);
      }
      if (tokens && refusal.sent !== authorizationValue(tokens)) return true;
      if (tokens?.refreshToken) {
        const last = refreshedAt.get(JSON.stringify(key)) ?? 0;
        if (Date.now() - last >= FRESH_REFUSAL_MS) {
          const fresh = await refresh(key, { ...tokens, expiresAt: 0 }, info);
          if (fresh) return true;
          return consent(who, info, challenge.scope, tokens.scope);
        }
      }
      if (tokens) await ctx.env.store.delete(key);
      return consent(who, info, challenge.scope, tokens?.scope);
    },
  };
}
