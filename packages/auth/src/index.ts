export { ApiKeys } from './api-keys.js';
export { createAuthenticator, type AuthFailureReason, type Authenticator, type AuthOutcome, type CreateAuthOptions } from './authenticator.js';
export { JwtVerifier, MAX_JWKS_BYTES, MAX_VERIFIED_TOKENS, scopesOf, type TokenFailure, type TokenResult } from './jwt.js';
export { metadataOf, metadataPaths, metadataUrl, resourceOf, WELL_KNOWN, type ResourceMetadata } from './metadata.js';
export { apiKeySchema, authOptionsSchema, jwtSchema, type ApiKeyOptions, type AuthOptions, type JwtOptions, type ResolvedAuthOptions } from './options.js';
