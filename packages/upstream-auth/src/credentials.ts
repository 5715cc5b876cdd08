import { ConfigError } from '@mcproxy/core';
import { z } from 'zod';
import { Discovery } from './discovery.js';
import { boundedFetch, DEFAULT_LIMITS } from './http/bounded-fetch.js';
import { clientCredentialsMode } from './modes/client-credentials.js';
import type { ModeContext } from './modes/context.js';
import { oauthMode } from './modes/oauth.js';
import { tokenExchangeMode } from './modes/token-exchange.js';
import type { UpstreamAuthConfig, UpstreamAuthEnv, UpstreamCredentials } from './types.js';

const httpUrl = z.url({ protocol: /^https?$/ });
const scopes = z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'a scope is one token without spaces or quotes')).optional();
const Config = z.union([
  z.strictObject({
    clientCredentials: z
      .strictObject({
        clientId: z.string().min(1),
        clientSecret: z.string().min(1).optional(),
        privateKey: z.string().includes('PRIVATE KEY', { message: 'a PKCS#8 PEM private key' }).optional(),
        privateKeyAlg: z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512']).optional(),
        scopes,
        tokenEndpointAuthMethod: z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt']).optional(),
        issuer: httpUrl.optional(),
      })
      .refine((c) => c.clientSecret !== undefined || c.privateKey !== undefined, 'clientCredentials needs a clientSecret or a privateKey')
      .refine(
        (c) => (c.tokenEndpointAuthMethod === 'private_key_jwt') === (c.privateKey !== undefined) || c.tokenEndpointAuthMethod === undefined,
        'private_key_jwt goes with privateKey',
      ),
  }),
  z.strictObject({
    tokenExchange: z.strictObject({
      clientId: z.string().min(1),
      clientSecret: z.string().min(1).optional(),
      audience: z.string().min(1).optional(),
      scopes,
      subjectTokenType: z.string().startsWith('urn:').optional(),
      issuer: httpUrl.optional(),
    }),
  }),
  z.strictObject({
    oauth: z.strictObject({
      scopes,
      clientId: z.string().min(1).optional(),
      clientSecret: z.string().min(1).optional(),
      clientMetadataUrl: z.url({ protocol: /^https$/ }).optional(),
      tokenEndpointAuthMethod: z.enum(['client_secret_basic', 'client_secret_post', 'none']).optional(),
    }),
  }),
]);

/**
 * The credentials of one upstream, for the transport's `credentials`
 * option: client credentials, token exchange or per-user OAuth, as
 * `config` says. The config is checked here (a ConfigError naming the
 * upstream otherwise), so a bad one fails at startup, not at the first call.
 *
 * @example
 * const flows = new AuthorizationFlows({ publicUrl: 'https://mcp.example.com' });
 * const credentials = upstreamCredentials('github', 'https://github-mcp.example/mcp', { oauth: { scopes: ['repo'] } }, { store: new MemoryTokenStore(), flows });
 */
export function upstreamCredentials(
  upstream: string,
  url: string,
  config: UpstreamAuthConfig,
  env: UpstreamAuthEnv,
): UpstreamCredentials & { readonly mode: 'clientCredentials' | 'tokenExchange' | 'oauth' } {
  const parsed = Config.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`upstream "${upstream}": auth.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  if (!httpUrl.safeParse(url).success) throw new ConfigError(`upstream "${upstream}": auth needs an http(s) url`);
  const limits = { ...DEFAULT_LIMITS, ...env.limits };
  const fetchFn = boundedFetch(env.fetch ?? fetch, limits);
  const c = parsed.data as UpstreamAuthConfig;
  const issuer = 'clientCredentials' in c ? c.clientCredentials.issuer : 'tokenExchange' in c ? c.tokenExchange.issuer : undefined;
  const log = env.log?.child({ upstream });
  const ctx: ModeContext = { upstream, url, env, fetch: fetchFn, limits, discovery: new Discovery(upstream, url, fetchFn, issuer), log };
  if ('clientCredentials' in c) return { mode: 'clientCredentials', ...clientCredentialsMode(ctx, c.clientCredentials) };
  if ('tokenExchange' in c) {
    if (env.subjectTokens === undefined) throw new ConfigError(`upstream "${upstream}": tokenExchange needs the inbound tokens (env.subjectTokens)`);
    return { mode: 'tokenExchange', ...tokenExchangeMode(ctx, c.tokenExchange) };
  }
  return { mode: 'oauth', ...oauthMode(ctx, c.oauth) };
}
