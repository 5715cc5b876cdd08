import {
  discoverAuthorizationServerMetadata,
  discoverOAuthProtectedResourceMetadata,
  extractWWWAuthenticateParams,
} from '@modelcontextprotocol/sdk/client/auth.js';
import { checkResourceAllowed, resourceUrlFromServerUrl } from '@modelcontextprotocol/sdk/shared/auth-utils.js';
import type { AuthorizationServerMetadata, OAuthProtectedResourceMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import { SingleFlight } from './bounded-map.js';
import { CredentialsError } from './errors.js';
import { failureReason } from './http/bounded-fetch.js';

/** What discovery found for one upstream. */
export interface ServerInfo {
  /** The authorization server's issuer identifier (checked against where its metadata was found). */
  issuer: string;
  metadata: AuthorizationServerMetadata;
  /** The RFC 8707 `resource` to ask tokens for: the metadata's `resource` verbatim, else the upstream URL. */
  resource: string;
  prm?: OAuthProtectedResourceMetadata;
  prmUrl?: string;
}

/** The parts of a `WWW-Authenticate: Bearer …` challenge we act on (parsed by the SDK). */
export interface Challenge {
  resourceMetadataUrl?: string;
  scope?: string;
  error?: string;
}

export function parseChallenge(header: string | undefined): Challenge {
  if (header === undefined) return {};
  const found = extractWWWAuthenticateParams(new Response(null, { status: 401, headers: { 'WWW-Authenticate': header } }));
  return {
    ...(found.resourceMetadataUrl ? { resourceMetadataUrl: found.resourceMetadataUrl.href } : {}),
    ...(found.scope ? { scope: found.scope } : {}),
    ...(found.error ? { error: found.error } : {}),
  };
}

const TTL_MS = 60 * 60 * 1000;
const sameIssuer = (a: string, b: string): boolean => a.replace(/\/$/, '') === b.replace(/\/$/, '');

/**
 * RFC 9728 then RFC 8414 / OIDC discovery for one upstream, through the
 * SDK's discovery functions (they know every well-known path variant the
 * conformance scenarios try) with our bounded fetch, plus the two checks the
 * SDK leaves to its caller: the metadata's `resource` must cover the
 * upstream URL, and the AS metadata's `issuer` must be the URL it was
 * discovered from. Cached an hour; a challenge naming other metadata
 * discovers again (an authorization server migration).
 */
export class Discovery {
  private cached: { info: ServerInfo; at: number } | undefined;
  private readonly flight = new SingleFlight<string>();

  constructor(
    private readonly upstream: string,
    private readonly url: string,
    private readonly fetchFn: typeof fetch,
    private readonly configuredIssuer?: string,
  ) {}

  /** The cached result, if any and fresh. */
  known(): ServerInfo | undefined {
    return this.cached && Date.now() - this.cached.at < TTL_MS ? this.cached.info : undefined;
  }

  /**
   * Discovers (or returns the cached result); `usePrm: false` goes to the
   * configured issuer directly. `recheck` discovers again (refusals at the
   * same moment share one discovery): a token the upstream refused may mean
   * its metadata now names another authorization server (SEP-2352).
   */
  info(challenge: Challenge = {}, usePrm = true, recheck = false): Promise<ServerInfo> {
    const known = this.known();
    const moved = challenge.resourceMetadataUrl !== undefined && challenge.resourceMetadataUrl !== known?.prmUrl && known?.prm !== undefined;
    if (known && !moved && !recheck) return Promise.resolve(known);
    return this.flight.run(challenge.resourceMetadataUrl ?? '', async () => {
      const info = await this.discover(challenge, usePrm);
      this.cached = { info, at: Date.now() };
      return info;
    });
  }

  private async discover(challenge: Challenge, usePrm: boolean): Promise<ServerInfo> {
    let prm: OAuthProtectedResourceMetadata | undefined;
    if (usePrm || this.configuredIssuer === undefined) {
      try {
        prm = await discoverOAuthProtectedResourceMetadata(this.url, { resourceMetadataUrl: challenge.resourceMetadataUrl }, this.fetchFn);
      } catch (err) {
        // No RFC 9728 metadata: a configured issuer, else the 2025-03-26 rule (the upstream's origin is the AS).
        if (failureReason(err).includes('larger')) throw new CredentialsError(this.upstream, `protected-resource metadata: ${failureReason(err)}`);
      }
    }
    if (prm !== undefined && !checkResourceAllowed({ requestedResource: resourceUrlFromServerUrl(this.url), configuredResource: prm.resource })) {
      throw new CredentialsError(this.upstream, `its protected-resource metadata names another resource (${prm.resource}); refusing to ask tokens for it`);
    }
    const issuer = prm?.authorization_servers?.[0] ?? this.configuredIssuer ?? new URL('/', this.url).href;
    let metadata: AuthorizationServerMetadata | undefined;
    try {
      metadata = await discoverAuthorizationServerMetadata(issuer, { fetchFn: this.fetchFn });
    } catch (err) {
      throw new CredentialsError(this.upstream, `authorization server metadata of ${issuer}: ${metadataFailure(err)}`);
    }
    if (metadata === undefined) throw new CredentialsError(this.upstream, `no authorization server metadata found for ${issuer}`);
    if (!sameIssuer(metadata.issuer, issuer)) {
      throw new CredentialsError(this.upstream, `the authorization server metadata found at ${issuer} names another issuer (${metadata.issuer}); refused`);
    }
    const resource = prm?.resource ?? resourceUrlFromServerUrl(this.url).href;
    return {
      issuer: metadata.issuer,
      metadata,
      resource,
      ...(prm ? { prm } : {}),
      ...(challenge.resourceMetadataUrl ? { prmUrl: challenge.resourceMetadataUrl } : {}),
    };
  }
}

function metadataFailure(err: unknown): string {
  const reason = failureReason(err);
  return reason === 'network error' && (err as { name?: string })?.name !== 'TypeError' ? 'not valid metadata' : reason;
}
