import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, jwtVerify } from 'jose';
import { type GrantContext, handleToken, type Issued, type TestClient } from './auth-server-grants.js';
import { oauthError, originOf, readBody, sendJson } from './http-util.js';

export type { TestClient } from './auth-server-grants.js';
export type Grant = 'authorization_code' | 'refresh_token' | 'client_credentials' | 'token_exchange';

export interface AuthServerOptions {
  /** Signing algorithm of the access tokens (ES256 by default). */
  alg?: 'RS256' | 'ES256';
  /** `expires_in` of every access token (300 s by default). */
  tokenLifetimeSeconds?: number;
  /** RFC 9207: say `authorization_response_iss_parameter_supported` and send `iss` with the code. */
  issParameter?: boolean;
  /** Say `client_id_metadata_document_supported` (any URL client id is then accepted without a fetch). */
  clientIdMetadataDocuments?: boolean;
  /** `scopes_supported` of the metadata (omitted when undefined). */
  scopesSupported?: string[];
  /** Pre-registered clients. */
  clients?: TestClient[];
  /** Whose JWTs a token exchange accepts as subject tokens. */
  subjectIssuer?: { issuer: string; jwksUrl: string };
}

/** What the token endpoint does instead of answering well (for the hostile-AS tests). */
export type Misbehaviour = { slowMs: number } | { garbage: true } | { hugeBytes: number } | { status: number };

/** A local OAuth 2.1 authorization server for tests, on 127.0.0.1 port 0; see README "Test authorization server". */
export interface TestAuthServer {
  /** `http://127.0.0.1:<port>` (no trailing slash), the `iss` of its tokens and metadata. */
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly tokenEndpoint: string;
  /** Token requests per grant, failed ones included. */
  readonly tokenRequests: Record<Grant, number>;
  /** Dynamic registrations made. */
  readonly registrations: number;
  /** The query of every /authorize request, in order. */
  readonly authorizeRequests: URLSearchParams[];
  /** Who consents at /authorize (the `sub` of the tokens issued from the code). Default `user`. */
  user: string;
  /** `iss` sent with the code: the issuer by default when `issParameter`; a string to send a wrong one; null to omit it. */
  redirectIss: string | null | undefined;
  /** Merged over the metadata document (e.g. a wrong `issuer`). */
  metadataOverrides: Record<string, unknown>;
  addClient(client: TestClient): void;
  /** Every refresh token issued so far stops working (`invalid_grant`). */
  revokeRefreshTokens(): void;
  /** The token endpoint misbehaves from now on (undefined: behaves again). */
  misbehave(how: Misbehaviour | undefined): void;
  /** Verifies one of its access tokens for `audience` (throws when it is not). */
  verify(token: string, audience: string): Promise<JWTPayload>;
  close(): Promise<void>;
}

/**
 * Starts the test authorization server: RFC 8414 metadata, RFC 7591
 * registration, an /authorize that consents at once (302 with code, state
 * and, when asked, iss), a /token for authorization_code (PKCE S256),
 * refresh_token, client_credentials (basic, post, private_key_jwt) and RFC
 * 8693 token exchange, JWT access tokens whose `aud` is the `resource`, and
 * a JWKS. Built on node:http and jose; every test closes it.
 *
 * @example
 * const as = await startAuthServer({ clients: [{ clientId: 'svc', clientSecret: 's3cret' }] });
 * // … as.tokenRequests.client_credentials === 1
 * await as.close();
 */
export async function startAuthServer(options: AuthServerOptions = {}): Promise<TestAuthServer> {
  const alg = options.alg ?? 'ES256';
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'as-key-1', alg, use: 'sig' };
  const clients = new Map<string, TestClient>((options.clients ?? []).map((c) => [c.clientId, c]));
  const codes = new Map<string, Issued & { challenge: string; redirectUri: string }>();
  const refreshTokens = new Map<string, Issued>();
  const counts: Record<Grant, number> = { authorization_code: 0, refresh_token: 0, client_credentials: 0, token_exchange: 0 };
  const authorizeRequests: URLSearchParams[] = [];
  let registrations = 0;
  let misbehaviour: Misbehaviour | undefined;

  const server = createServer((req, res) => {
    route(req, res).catch(() => {
      if (!res.headersSent) oauthError(res, 500, 'server_error');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = originOf(server.address());

  const api: TestAuthServer = {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    tokenEndpoint: `${issuer}/token`,
    tokenRequests: counts,
    get registrations() {
      return registrations;
    },
    authorizeRequests,
    user: 'user',
    redirectIss: undefined,
    metadataOverrides: {},
    addClient: (client) => void clients.set(client.clientId, client),
    revokeRefreshTokens: () => refreshTokens.clear(),
    misbehave: (how) => {
      misbehaviour = how;
    },
    verify: async (token, audience) => (await jwtVerify(token, publicKey, { issuer, audience, algorithms: [alg] })).payload,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  const grants: GrantContext = {
    issuer,
    alg,
    privateKey,
    lifetime: options.tokenLifetimeSeconds ?? 300,
    clients,
    codes,
    refreshTokens,
    counts,
    subjectIssuer: options.subjectIssuer,
  };

  function metadata(): Record<string, unknown> {
    return {
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      registration_endpoint: `${issuer}/register`,
      jwks_uri: `${issuer}/jwks`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
      token_endpoint_auth_signing_alg_values_supported: ['RS256', 'ES256'],
      ...(options.scopesSupported ? { scopes_supported: options.scopesSupported } : {}),
      ...(options.issParameter ? { authorization_response_iss_parameter_supported: true } : {}),
      ...(options.clientIdMetadataDocuments ? { client_id_metadata_document_supported: true } : {}),
      ...api.metadataOverrides,
    };
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', issuer);
    const path = url.pathname;
    if (req.method === 'GET' && (path === '/.well-known/oauth-authorization-server' || path === '/.well-known/openid-configuration')) {
      sendJson(res, 200, metadata());
    } else if (req.method === 'GET' && path === '/jwks') {
      sendJson(res, 200, { keys: [jwk] });
    } else if (req.method === 'POST' && path === '/register') {
      register(await readBody(req), res);
    } else if (req.method === 'GET' && path === '/authorize') {
      authorize(url.searchParams, res);
    } else if (req.method === 'POST' && path === '/token') {
      const body = await readBody(req);
      if (misbehaviour !== undefined) return misbehave(misbehaviour, new URLSearchParams(body), res);
      await handleToken(grants, req, new URLSearchParams(body), res);
    } else {
      sendJson(res, 404, { error: 'not_found' });
    }
  }

  function register(body: string, res: ServerResponse): void {
    let meta: { redirect_uris?: unknown; token_endpoint_auth_method?: unknown };
    try {
      meta = JSON.parse(body) as typeof meta;
    } catch {
      oauthError(res, 400, 'invalid_client_metadata', 'not JSON');
      return;
    }
    if (!Array.isArray(meta.redirect_uris) || meta.redirect_uris.length === 0) {
      oauthError(res, 400, 'invalid_redirect_uri');
      return;
    }
    registrations += 1;
    const method = typeof meta.token_endpoint_auth_method === 'string' ? meta.token_endpoint_auth_method : 'client_secret_basic';
    const client: TestClient = {
      clientId: `dyn-${randomBytes(8).toString('hex')}`,
      ...(method === 'none' ? {} : { clientSecret: randomBytes(16).toString('hex') }),
      redirectUris: meta.redirect_uris.map(String),
    };
    clients.set(client.clientId, client);
    sendJson(res, 201, {
      ...meta,
      client_id: client.clientId,
      ...(client.clientSecret ? { client_secret: client.clientSecret } : {}),
      token_endpoint_auth_method: method,
      client_id_issued_at: Math.floor(Date.now() / 1000),
    });
  }

  function authorize(q: URLSearchParams, res: ServerResponse): void {
    authorizeRequests.push(q);
    const clientId = q.get('client_id') ?? '';
    const redirectUri = q.get('redirect_uri') ?? '';
    const client = clients.get(clientId);
    const isCimd = options.clientIdMetadataDocuments === true && /^https?:\/\//.test(clientId);
    if (!client && !isCimd) {
      oauthError(res, 400, 'invalid_client', 'unknown client');
      return;
    }
    if (client?.redirectUris && !client.redirectUris.includes(redirectUri)) {
      oauthError(res, 400, 'invalid_request', 'redirect_uri not registered');
      return;
    }
    if (q.get('response_type') !== 'code' || q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')) {
      oauthError(res, 400, 'invalid_request', 'PKCE S256 and response_type=code required');
      return;
    }
    const code = randomBytes(16).toString('base64url');
    codes.set(code, {
      clientId,
      sub: api.user,
      scope: q.get('scope') ?? undefined,
      resource: q.get('resource') ?? undefined,
      challenge: q.get('code_challenge') ?? '',
      redirectUri,
    });
    const back = new URL(redirectUri);
    back.searchParams.set('code', code);
    const state = q.get('state');
    if (state !== null) back.searchParams.set('state', state);
    const iss = api.redirectIss === undefined ? (options.issParameter ? issuer : null) : api.redirectIss;
    if (iss !== null) back.searchParams.set('iss', iss);
    res.writeHead(302, { Location: back.href }).end();
  }

  function misbehave(how: Misbehaviour, params: URLSearchParams, res: ServerResponse): void {
    const grant = params.get('grant_type') ?? '';
    const key = (grant === 'urn:ietf:params:oauth:grant-type:token-exchange' ? 'token_exchange' : grant) as Grant;
    if (key in counts) counts[key] += 1;
    if ('slowMs' in how) {
      const timer = setTimeout(() => sendJson(res, 200, { access_token: 'late', token_type: 'Bearer', expires_in: 60 }), how.slowMs);
      res.on('close', () => clearTimeout(timer));
    } else if ('garbage' in how) {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('<html>{{{ not a token');
    } else if ('hugeBytes' in how) {
      streamHuge(res, how.hugeBytes);
    } else {
      oauthError(res, how.status, 'temporarily_unavailable');
    }
  }

  return api;
}

/** A JSON-looking answer of `bytes` bytes, written in chunks as the reader takes them. */
function streamHuge(res: ServerResponse, bytes: number): void {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.write('{"access_token":"');
  const chunk = 'A'.repeat(64 * 1024);
  let left = bytes;
  const pump = (): void => {
    while (left > 0) {
      left -= chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    res.end('","token_type":"Bearer"}');
  };
  res.on('error', () => undefined);
  pump();
}
