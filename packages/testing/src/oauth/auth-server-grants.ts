import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type CryptoKey, createRemoteJWKSet, decodeJwt, importJWK, type JWK, jwtVerify, SignJWT } from 'jose';
import { oauthError, sendJson } from './http-util.js';

/** A client the test AS knows: a secret for basic/post, a public JWK for private_key_jwt, neither for a public client. */
export interface TestClient {
  clientId: string;
  clientSecret?: string;
  publicKey?: JWK;
  redirectUris?: string[];
}

/** What a code or refresh token was issued for. */
export interface Issued {
  clientId: string;
  sub: string;
  scope: string | undefined;
  resource: string | undefined;
}

export interface GrantContext {
  issuer: string;
  alg: string;
  privateKey: CryptoKey;
  lifetime: number;
  clients: Map<string, TestClient>;
  codes: Map<string, Issued & { challenge: string; redirectUri: string }>;
  refreshTokens: Map<string, Issued>;
  counts: Record<'authorization_code' | 'refresh_token' | 'client_credentials' | 'token_exchange', number>;
  subjectIssuer: { issuer: string; jwksUrl: string } | undefined;
}

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** POST /token: authenticates the client, then runs the grant. */
export async function handleToken(ctx: GrantContext, req: IncomingMessage, params: URLSearchParams, res: ServerResponse): Promise<void> {
  const grant = params.get('grant_type') ?? '';
  const key = grant === TOKEN_EXCHANGE ? 'token_exchange' : grant;
  if (!(key in ctx.counts)) return oauthError(res, 400, 'unsupported_grant_type');
  ctx.counts[key as keyof GrantContext['counts']] += 1;
  const clientId = await authenticate(ctx, req.headers.authorization, params);
  if (clientId === undefined) return oauthError(res, 401, 'invalid_client', 'client authentication failed');
  if (key === 'authorization_code') return authorizationCode(ctx, clientId, params, res);
  if (key === 'refresh_token') return refresh(ctx, clientId, params, res);
  if (key === 'client_credentials') {
    return issue(ctx, res, { clientId, sub: clientId, scope: params.get('scope') ?? undefined, resource: params.get('resource') ?? undefined }, false);
  }
  return exchange(ctx, clientId, params, res);
}

async function authenticate(ctx: GrantContext, header: string | undefined, params: URLSearchParams): Promise<string | undefined> {
  if (header?.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const at = decoded.indexOf(':');
    const [id, secret] = [decodeURIComponent(decoded.slice(0, at)), decodeURIComponent(decoded.slice(at + 1))];
    const client = ctx.clients.get(id);
    return client?.clientSecret !== undefined && client.clientSecret === secret ? id : undefined;
  }
  const assertion = params.get('client_assertion');
  if (assertion !== null) {
    if (params.get('client_assertion_type') !== JWT_BEARER_ASSERTION) return undefined;
    try {
      const id = String(decodeJwt(assertion).iss);
      const client = ctx.clients.get(id);
      if (!client?.publicKey) return undefined;
      const key = await importJWK(client.publicKey, client.publicKey.alg);
      const audience = [ctx.issuer, `${ctx.issuer}/`, `${ctx.issuer}/token`];
      const { payload } = await jwtVerify(assertion, key, { issuer: id, subject: id, audience });
      return payload.jti && payload.exp ? id : undefined;
    } catch {
      return undefined;
    }
  }
  const id = params.get('client_id');
  if (id === null) return undefined;
  const client = ctx.clients.get(id);
  const secret = params.get('client_secret');
  if (client === undefined) return /^https?:\/\//.test(id) && secret === null ? id : undefined;
  if (client.clientSecret === undefined) return secret === null ? id : undefined;
  return secret === client.clientSecret ? id : undefined;
}

function authorizationCode(ctx: GrantContext, clientId: string, params: URLSearchParams, res: ServerResponse): Promise<void> | void {
  const code = params.get('code') ?? '';
  const issued = ctx.codes.get(code);
  ctx.codes.delete(code);
  if (issued === undefined || issued.clientId !== clientId) return oauthError(res, 400, 'invalid_grant', 'unknown or used code');
  if (params.get('redirect_uri') !== issued.redirectUri) return oauthError(res, 400, 'invalid_grant', 'redirect_uri mismatch');
  const challenge = createHash('sha256')
    .update(params.get('code_verifier') ?? '')
    .digest('base64url');
  if (challenge !== issued.challenge) return oauthError(res, 400, 'invalid_grant', 'PKCE verification failed');
  return issue(ctx, res, issued, true);
}

function refresh(ctx: GrantContext, clientId: string, params: URLSearchParams, res: ServerResponse): Promise<void> | void {
  const issued = ctx.refreshTokens.get(params.get('refresh_token') ?? '');
  if (issued === undefined || issued.clientId !== clientId) return oauthError(res, 400, 'invalid_grant', 'refresh token revoked or unknown');
  return issue(ctx, res, { ...issued, resource: params.get('resource') ?? issued.resource }, false, params.get('refresh_token') ?? undefined);
}

async function exchange(ctx: GrantContext, clientId: string, params: URLSearchParams, res: ServerResponse): Promise<void> {
  if (ctx.subjectIssuer === undefined) return oauthError(res, 400, 'invalid_request', 'no subject issuer configured');
  const type = params.get('subject_token_type');
  if (type !== 'urn:ietf:params:oauth:token-type:jwt' && type !== 'urn:ietf:params:oauth:token-type:access_token') {
    return oauthError(res, 400, 'invalid_request', 'unsupported subject_token_type');
  }
  try {
    const jwks = createRemoteJWKSet(new URL(ctx.subjectIssuer.jwksUrl));
    const { payload } = await jwtVerify(params.get('subject_token') ?? '', jwks, { issuer: ctx.subjectIssuer.issuer });
    const resource = params.get('resource') ?? params.get('audience') ?? undefined;
    await issue(ctx, res, { clientId, sub: String(payload.sub), scope: params.get('scope') ?? undefined, resource }, false, undefined, true);
  } catch {
    oauthError(res, 400, 'invalid_grant', 'subject token not valid');
  }
}

async function issue(ctx: GrantContext, res: ServerResponse, what: Issued, withRefresh: boolean, keepRefresh?: string, exchanged = false): Promise<void> {
  const accessToken = await new SignJWT({ client_id: what.clientId, ...(what.scope ? { scope: what.scope } : {}) })
    .setProtectedHeader({ alg: ctx.alg, kid: 'as-key-1', typ: 'at+jwt' })
    .setIssuer(ctx.issuer)
    .setSubject(what.sub)
    .setAudience(what.resource ?? ctx.issuer)
    .setIssuedAt()
    .setJti(randomUUID())
    .setExpirationTime(Math.floor(Date.now() / 1000) + ctx.lifetime)
    .sign(ctx.privateKey);
  let refreshToken = keepRefresh;
  if (withRefresh) {
    refreshToken = randomBytes(24).toString('base64url');
    ctx.refreshTokens.set(refreshToken, what);
  }
  sendJson(res, 200, {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: ctx.lifetime,
    ...(what.scope ? { scope: what.scope } : {}),
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
    ...(exchanged ? { issued_token_type: 'urn:ietf:params:oauth:token-type:access_token' } : {}),
  });
}
