// @mcproxy/upstream-auth: credentials toward upstreams (issue 26): an OAuth
// client per upstream (client credentials, token exchange, per-user
// authorization code with PKCE), the token stores, the authorization
// flows and the consent rounds that send a user to them. See README.md.
export { AUTHORIZATION_REQUIRED, consentRounds, type ConsentFlows, type ConsentRoundsOptions } from './consent/index.js';
export { upstreamCredentials } from './credentials.js';
export { ConsentRequiredError, CredentialsError, URL_ELICITATION_REQUIRED, type RpcError } from './errors.js';
export { AuthorizationFlows, OAUTH_CALLBACK_PATH, OAUTH_START_PATH, type FlowDriver, type HttpAnswer } from './flows/authorization-flows.js';
export { DEFAULT_LIMITS, type HttpLimits } from './http/bounded-fetch.js';
export { EncryptedFileTokenStore, parseStoreKey } from './store/file-store.js';
export { MemoryTokenStore } from './store/memory-store.js';
export type { StoredTokens, TokenKey, TokenStore } from './store/token-store.js';
export { SubjectTokens } from './subject-tokens.js';
export type { CredentialEvent, UpstreamAuthConfig, UpstreamAuthEnv, UpstreamCredentials } from './types.js';
