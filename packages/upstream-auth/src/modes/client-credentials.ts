import { SingleFlight } from '../bounded-map.js';
import { parseChallenge, type Challenge } from '../discovery.js';
import { clientAuthentication } from '../http/client-auth.js';
import { authorizationValue } from '../http/token-request.js';
import type { StoredTokens } from '../store/token-store.js';
import type { UpstreamAuthConfig, UpstreamCredentials } from '../types.js';
import { FRESH_REFUSAL_MS, type ModeContext, renewAt, tokenFor } from './context.js';

type Config = Extract<UpstreamAuthConfig, { clientCredentials: unknown }>['clientCredentials'];

/**
 * client_credentials: one token for the upstream itself (the same for every
 * principal), fetched on the first 401 (or at once when `issuer` is
 * configured), renewed in the background at 80 % of its lifetime, and
 * single-flight: twenty concurrent first calls make one token request.
 */
export function clientCredentialsMode(ctx: ModeContext, config: Config): UpstreamCredentials {
  const auth = clientAuthentication({
    clientId: config.clientId,
    ...(config.clientSecret === undefined ? {} : { clientSecret: config.clientSecret }),
    ...(config.privateKey === undefined ? {} : { privateKey: config.privateKey }),
    ...(config.privateKeyAlg === undefined ? {} : { privateKeyAlg: config.privateKeyAlg }),
    ...(config.tokenEndpointAuthMethod === undefined ? {} : { method: config.tokenEndpointAuthMethod }),
  });
  const scopes = new Set(config.scopes ?? []);
  const flight = new SingleFlight<string>();
  let current: { tokens: StoredTokens; renewAt: number; at: number } | undefined;

  const fetchToken = (challenge: Challenge = {}): Promise<StoredTokens> =>
    flight.run('token', async () => {
      const info = await ctx.discovery.info(challenge, config.issuer === undefined);
      const params = new URLSearchParams({ grant_type: 'client_credentials', resource: info.resource });
      if (scopes.size > 0) params.set('scope', [...scopes].join(' '));
      const endpoint = info.metadata.token_endpoint;
      const tokens = await tokenFor(ctx, 'client_credentials', { issuer: info.issuer, endpoint, params, auth });
      current = { tokens, renewAt: renewAt(tokens), at: Date.now() };
      await ctx.env.store.set({ principal: '', issuer: info.issuer, resource: info.resource }, tokens);
      return tokens;
    });

  return {
    async authorization() {
      const now = Date.now();
      if (current && now < current.renewAt) return authorizationValue(current.tokens);
      if (current && (current.tokens.expiresAt ?? 0) - 5_000 > now) {
        // Still good for a while: renew in the background, answer at once.
        fetchToken().catch(() => undefined);
        return authorizationValue(current.tokens);
      }
      if (current === undefined && config.issuer === undefined && ctx.discovery.known() === undefined) return undefined;
      return authorizationValue(await fetchToken());
    },

    async refused(_principal, refusal) {
      const challenge = parseChallenge(refusal.challenge);
      if (refusal.status === 403) {
        const wanted = (challenge.error === 'insufficient_scope' ? (challenge.scope ?? '') : '').split(' ').filter((s) => s && !scopes.has(s));
        if (wanted.length === 0) return false;
        for (const s of wanted) scopes.add(s);
        current = undefined;
        await fetchToken(challenge);
        return true;
      }
      if (current && refusal.sent !== authorizationValue(current.tokens)) return true;
      if (current && Date.now() - current.at < FRESH_REFUSAL_MS) return false;
      current = undefined;
      await fetchToken(challenge);
      return true;
    },
  };
}
