import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, type Logger, type Middleware, type Principal } from '@mcproxy/core';
import type { MountedHandler, UpstreamCredentials } from '@mcproxy/transport-streamable-http';
import {
  AuthorizationFlows,
  consentRounds,
  EncryptedFileTokenStore,
  MemoryTokenStore,
  SubjectTokens,
  upstreamCredentials,
  type CredentialEvent,
  type TokenStore,
  type UpstreamAuthConfig,
} from '@mcproxy/upstream-auth';
import type { UpstreamAuth } from '../config/credentials-schema.js';
import type { Pipeline, Route } from '../config/schema.js';
import { oauthRoutes, type FaceGuard } from './oauth-routes.js';

/** Does a user of this route authorize one of its upstreams in a browser (`auth.oauth`)? Then consent rounds lead its chain. */
export const routeAsksConsent = (route: Pick<Route, 'upstreams'>): boolean =>
  Object.values(route.upstreams).some((u) => 'url' in u && u.auth?.oauth !== undefined);

/** Does any endpoint of `pipeline` (top-level or a route) have an `auth.oauth` upstream? Then the HTTP face serves /oauth/start and /oauth/callback. */
export const asksConsent = (pipeline: Pipeline): boolean => routeAsksConsent(pipeline) || Object.values(pipeline.routes).some(routeAsksConsent);

// Without an HTTP face no upstream can have auth.oauth (the loader refuses it), so flows made
// for the other modes never show this URL to anyone.
const NO_FACE = 'http://127.0.0.1';

/**
 * The process's credentials toward upstreams: one token store, one set of
 * authorization flows, the principals' latest JWTs (for token exchange),
 * and the consent middleware every route with an `oauth` upstream leads
 * with. Made once at start; reloads keep it (`credentials:` changes wait
 * for a restart).
 */
export class CredentialHub {
  readonly subjectTokens = new SubjectTokens();
  /** Consent rounds for every route: they reach the flows through the hub, which has them once the face listens. */
  readonly consent: Middleware;
  private flowsNow: AuthorizationFlows | undefined;
  /** The flows given to the modes that never send a browser anywhere (client credentials, token exchange). */
  private readonly unused = new AuthorizationFlows({ publicUrl: NO_FACE });
  private routes: MountedHandler | undefined;

  private constructor(
    readonly store: TokenStore,
    private readonly log: Logger,
    private readonly onEvent: ((e: CredentialEvent) => void) | undefined,
    private readonly baseDir: string,
    /** An HTTP face will listen: per-user flows wait for its URL. */
    private readonly face: boolean,
  ) {
    this.consent = consentRounds({
      flows: { startUrl: (id) => this.flows.startUrl(id), waitFor: (id, ms) => this.flows.waitFor(id, ms) },
    });
  }

  /** The hub for `pipeline` (its `credentials:` store opened now, so a bad key or file stops the start with exit 2). */
  static async create(pipeline: Pipeline, log: Logger, onEvent?: (e: CredentialEvent) => void): Promise<CredentialHub> {
    const store = await storeOf(pipeline);
    return new CredentialHub(store, log.child({ credentials: true }), onEvent, pipeline.baseDir, pipeline.serve.http !== undefined);
  }

  /** The flows, made with the face's public URL once it is known (`listen`); before that, a request that needs them fails (-32011). */
  get flows(): AuthorizationFlows {
    if (this.flowsNow === undefined && this.face) throw new Error('the HTTP face is not listening yet');
    this.flowsNow ??= new AuthorizationFlows({ publicUrl: NO_FACE, log: this.log });
    return this.flowsNow;
  }

  /** The HTTP face listens at `publicUrl` (serve.http.publicUrl, else the face's own origin): redirect URIs are made from it. */
  listen(publicUrl: string): void {
    if (this.flowsNow === undefined) this.flowsNow = new AuthorizationFlows({ publicUrl, log: this.log });
  }

  /** The JWT a face verified for `principal`: kept (in memory, until its exp) for token exchange. */
  noteToken(principal: Principal, token: string): void {
    const exp = principal.claims.exp;
    this.subjectTokens.note(principal, token, typeof exp === 'number' ? exp * 1000 : undefined);
  }

  /**
   * The credentials of upstream `name`, for `urlUpstream`. The configuration
   * is checked now (a `ConfigError` naming the upstream); the credentials
   * themselves are made at their first use, when the face's URL is known.
   */
  credentialsFor(name: string, url: string, auth: UpstreamAuth): UpstreamCredentials {
    const config = this.configOf(auth);
    upstreamCredentials(name, url, config, this.env(this.unused));
    let real: UpstreamCredentials | undefined;
    const made = (): UpstreamCredentials => {
      real ??= upstreamCredentials(name, url, config, this.env(auth.oauth === undefined ? this.unused : this.flows));
      return real;
    };
    return {
      authorization: (principal) => made().authorization(principal),
      refused: (principal, refusal) => made().refused(principal, refusal),
    };
  }

  /** Whether the routes are served already (at start, or by the reload that added the first `oauth` upstream). */
  get routesMade(): boolean {
    return this.routes !== undefined;
  }

  /** GET /oauth/start and /oauth/callback, made once, for the HTTP face. */
  oauthRoutes(face: FaceGuard, maxBodyBytes: number): MountedHandler {
    // The flows are asked at each request: they are made when the face listens, after this.
    const pages = {
      start: (q: URLSearchParams, c: string | undefined) => this.flows.start(q, c),
      callback: (q: URLSearchParams, c: string | undefined) => this.flows.callback(q, c),
    };
    this.routes ??= oauthRoutes(pages, face, this.log, maxBodyBytes);
    return this.routes;
  }

  private env(flows: AuthorizationFlows) {
    return {
      store: this.store,
      flows,
      subjectTokens: this.subjectTokens,
      log: this.log,
      ...(this.onEvent === undefined ? {} : { onEvent: this.onEvent }),
    };
  }

  /** The config as upstream-auth takes it: a private key given as a file is read (relative to the pipeline file). */
  private configOf(auth: UpstreamAuth): UpstreamAuthConfig {
    const cc = auth.clientCredentials;
    if (cc?.privateKey === undefined || cc.privateKey.includes('PRIVATE KEY')) return auth as UpstreamAuthConfig;
    const file = resolve(this.baseDir, cc.privateKey);
    try {
      return { clientCredentials: { ...cc, privateKey: readFileSync(file, 'utf8') } } as UpstreamAuthConfig;
    } catch (err) {
      throw new ConfigError(`cannot read auth.clientCredentials.privateKey (${file}): ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
}

/** The store `credentials:` names: memory (default), or an encrypted file read now. */
async function storeOf(pipeline: Pipeline): Promise<TokenStore> {
  const c = pipeline.credentials;
  if (c === undefined || c.store === 'memory') return new MemoryTokenStore();
  try {
    return await EncryptedFileTokenStore.open(resolve(pipeline.baseDir, c.store.file), c.key ?? '');
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`credentials: ${err.message}`);
    throw err;
  }
}
