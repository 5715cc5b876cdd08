import { registerClient } from '@modelcontextprotocol/sdk/client/auth.js';
import { BoundedMap, SingleFlight } from '../bounded-map.js';
import type { ServerInfo } from '../discovery.js';
import { CredentialsError } from '../errors.js';
import { failureReason } from '../http/bounded-fetch.js';
import type { ClientAuthMethod, ClientIdentity } from '../http/client-auth.js';
import type { UpstreamAuthConfig } from '../types.js';

type Config = Extract<UpstreamAuthConfig, { oauth: unknown }>['oauth'];
const METHODS = new Set(['client_secret_basic', 'client_secret_post', 'none']);

/**
 * Who mcproxy is toward an upstream's authorization server, in the order the
 * MCP authorization spec prefers: a Client ID Metadata Document URL when the
 * server supports them, a configured client, else a dynamic registration
 * (RFC 7591, through the SDK's `registerClient`). Registrations are kept per
 * issuer and only ever presented to the issuer that made them.
 */
export class OAuthClients {
  private readonly registered = new BoundedMap<string, ClientIdentity>(64);
  private readonly flight = new SingleFlight<string>();

  constructor(
    private readonly upstream: string,
    private readonly config: Config,
    private readonly redirectUri: string,
    private readonly fetchFn: typeof fetch,
  ) {}

  async for(info: ServerInfo): Promise<ClientIdentity> {
    const { config } = this;
    if (config.clientMetadataUrl !== undefined && info.metadata.client_id_metadata_document_supported === true) {
      return { clientId: config.clientMetadataUrl, method: 'none' };
    }
    if (config.clientId !== undefined) {
      const method = config.tokenEndpointAuthMethod as ClientAuthMethod | undefined;
      return {
        clientId: config.clientId,
        ...(config.clientSecret === undefined ? {} : { clientSecret: config.clientSecret }),
        ...(method === undefined ? {} : { method }),
      };
    }
    const known = this.registered.get(info.issuer);
    if (known) return known;
    return this.flight.run(info.issuer, async () => {
      if (info.metadata.registration_endpoint === undefined) {
        throw new CredentialsError(
          this.upstream,
          `its authorization server (${info.issuer}) offers no dynamic registration; configure a clientId or clientMetadataUrl`,
        );
      }
      try {
        const full = await registerClient(info.issuer, {
          metadata: info.metadata,
          clientMetadata: withApplicationType(this.redirectUri, {
            client_name: 'mcproxy',
            redirect_uris: [this.redirectUri],
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
            token_endpoint_auth_method: 'client_secret_basic',
          }),
          fetchFn: this.fetchFn,
        });
        const method = full.token_endpoint_auth_method ?? (full.client_secret ? 'client_secret_basic' : 'none');
        const identity: ClientIdentity = {
          clientId: full.client_id,
          ...(full.client_secret === undefined ? {} : { clientSecret: full.client_secret }),
          method: (METHODS.has(method) ? method : 'client_secret_basic') as ClientAuthMethod,
        };
        this.registered.set(info.issuer, identity);
        return identity;
      } catch (err) {
        throw new CredentialsError(this.upstream, `dynamic client registration at ${info.issuer} failed (${registrationFailure(err)})`);
      }
    });
  }
}

/**
 * SEP-837: a registration says what kind of client registers (the SDK's
 * type has no such field, its request sends what it is given). mcproxy is a
 * server-side (web) client; a redirect URI on plain http or loopback is one
 * only a native client may have (OpenID Connect Registration).
 */
function withApplicationType<T extends object>(redirectUri: string, metadata: T): T {
  return { ...metadata, application_type: applicationTypeOf(redirectUri) };
}

/** `web` for a redirect URI on https off loopback, else `native` (OpenID Connect Registration's rule for each). */
export function applicationTypeOf(redirectUri: string): 'web' | 'native' {
  const { protocol, hostname } = new URL(redirectUri);
  const loopback = hostname === 'localhost' || hostname === '[::1]' || hostname.startsWith('127.');
  return protocol === 'https:' && !loopback ? 'web' : 'native';
}

function registrationFailure(err: unknown): string {
  const code = (err as { errorCode?: unknown })?.errorCode;
  return typeof code === 'string' && /^[a-z_]{1,64}$/.test(code) ? code : failureReason(err);
}

/**
 * The scope to ask for: the configured scopes, else the challenge's, else
 * the resource metadata's `scopes_supported`, else none; joined with what is
 * already granted (a step-up keeps what the user granted before), plus
 * `offline_access` when the authorization server lists it (so a refresh
 * token comes back).
 */
export function chooseScope(config: Config, info: ServerInfo, challenged: string | undefined, granted: string | undefined): string | undefined {
  const base = config.scopes?.length ? config.scopes : challenged ? challenged.split(' ') : (info.prm?.scopes_supported ?? []);
  const all = new Set([...(granted ? granted.split(' ') : []), ...base, ...(challenged ? challenged.split(' ') : [])].filter(Boolean));
  if (info.metadata.scopes_supported?.includes('offline_access')) all.add('offline_access');
  return all.size > 0 ? [...all].join(' ') : undefined;
}
