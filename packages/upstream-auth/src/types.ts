import type { Logger, Principal } from '@mcproxy/core';
import type { AuthorizationFlows } from './flows/authorization-flows.js';
import type { HttpLimits } from './http/bounded-fetch.js';
import type { TokenStore } from './store/token-store.js';
import type { SubjectTokens } from './subject-tokens.js';

/**
 * What a streamable HTTP (or SSE) upstream asks of its credentials; the
 * same shape as `UpstreamCredentials` of @mcproxy/transport-streamable-http
 * (declared here too so this package does not depend on a transport).
 */
export interface UpstreamCredentials {
  /** The `Authorization` value for a request sent on behalf of `principal`, or undefined to send none. */
  authorization(principal: Principal | undefined): Promise<string | undefined>;
  /** The upstream refused a request (401, or 403 insufficient_scope): true when the request should be sent once more. */
  refused(principal: Principal | undefined, refusal: { status: 401 | 403; challenge: string | undefined; sent: string | undefined }): Promise<boolean>;
}

export type UpstreamAuthConfig =
  | {
      clientCredentials: {
        clientId: string;
        clientSecret?: string;
        /** PKCS#8 PEM, for private_key_jwt. */
        privateKey?: string;
        privateKeyAlg?: string;
        scopes?: string[];
        tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
        issuer?: string;
      };
    }
  | { tokenExchange: { clientId: string; clientSecret?: string; audience?: string; scopes?: string[]; subjectTokenType?: string; issuer?: string } }
  | { oauth: { scopes?: string[]; clientId?: string; clientSecret?: string; clientMetadataUrl?: string; tokenEndpointAuthMethod?: string } };

/** One token request, for metrics (never a token in it). */
export interface CredentialEvent {
  upstream: string;
  grant: 'client_credentials' | 'token_exchange' | 'authorization_code' | 'refresh_token';
  outcome: 'ok' | 'error';
}

/** What the credentials of every upstream share: the store, the flows, the subject tokens, metrics and logs. */
export interface UpstreamAuthEnv {
  store: TokenStore;
  /** One per process, shared by all oauth upstreams. */
  flows: AuthorizationFlows;
  /** Required for tokenExchange. */
  subjectTokens?: SubjectTokens;
  onEvent?: (e: CredentialEvent) => void;
  log?: Logger;
  /** Tests may pass one; it is wrapped with the timeouts and byte limits either way. */
  fetch?: typeof fetch;
  /** Timeouts, byte limit and retries toward authorization servers (defaults: 10 s, 1 MiB, 3 tries, 200/800 ms). */
  limits?: Partial<HttpLimits>;
}
