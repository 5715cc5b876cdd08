import { type Principal, principalKey } from '@mcproxy/core';
import { BoundedMap, SingleFlight } from '../bounded-map.js';
import { CredentialsError } from '../errors.js';
import { clientAuthentication } from '../http/client-auth.js';
import { authorizationValue } from '../http/token-request.js';
import type { StoredTokens } from '../store/token-store.js';
import type { UpstreamAuthConfig, UpstreamCredentials } from '../types.js';
import { FRESH_REFUSAL_MS, type ModeContext, renewAt, tokenFor } from './context.js';

type Config = Extract<UpstreamAuthConfig, { tokenExchange: unknown }>['tokenExchange'];

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';

/**
 * RFC 8693 token exchange: the principal's latest inbound JWT (noted in
 * `env.subjectTokens` by the HTTP face) is exchanged at the authorization
 * server for a token meant for this upstream, cached per principal until
 * 80 % of its lifetime, one exchange in flight per principal. The inbound
 * token itself only ever goes to the authorization server.
 */
export function tokenExchangeMode(ctx: ModeContext, config: Config): UpstreamCredentials {
  const auth = clientAuthentication({
    clientId: config.clientId,
    ...(config.clientSecret === undefined ? {} : { clientSecret: config.clientSecret }),
  });
  const cache = new BoundedMap<string, { tokens: StoredTokens; renewAt: number; at: number }>(10_000);
  const flight = new SingleFlight<string>();

  const keyOf = (principal: Principal | undefined): string => {
    const key = principalKey(principal);
    if (key === undefined) throw new CredentialsError(ctx.upstream, 'token exchange needs an authenticated principal, and this request has none');
    return key;
  };

  const exchange = (principal: Principal | undefined, key: string): Promise<StoredTokens> =>
    flight.run(key, async () => {
      const subject = ctx.env.subjectTokens?.latest(principal);
      if (subject === undefined) throw new CredentialsError(ctx.upstream, 'there is no valid inbound token of this principal to exchange');
      const info = await ctx.discovery.info({}, config.issuer === undefined);
      const params = new URLSearchParams({
        grant_type: TOKEN_EXCHANGE_GRANT,
        subject_token: subject,
        subject_token_type: config.subjectTokenType ?? JWT_TOKEN_TYPE,
        requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        resource: info.resource,
      });
      if (config.audience !== undefined) params.set('audience', config.audience);
      if (config.scopes?.length) params.set('scope', config.scopes.join(' '));
      const tokens = await tokenFor(ctx, 'token_exchange', { issuer: info.issuer, endpoint: info.metadata.token_endpoint, params, auth });
      cache.set(key, { tokens, renewAt: renewAt(tokens), at: Date.now() });
      return tokens;
    });

  return {
    async authorization(principal) {
      const key = keyOf(principal);
      const cached = cache.get(key);
      if (cached && Date.now() < cached.renewAt) return authorizationValue(cached.tokens);
      return authorizationValue(await exchange(principal, key));
    },

    async refused(principal, refusal) {
      if (refusal.status === 403) return false;
      const key = keyOf(principal);
      const cached = cache.get(key);
      if (cached && refusal.sent !== authorizationValue(cached.tokens)) return true;
      if (cached && Date.now() - cached.at < FRESH_REFUSAL_MS) return false;
      cache.delete(key);
      await exchange(principal, key);
      return true;
    },
  };
}
