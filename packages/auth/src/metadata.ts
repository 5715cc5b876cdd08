import type { JwtOptions } from './options.js';

/** Where RFC 9728 puts the metadata of every protected resource on a host. */
export const WELL_KNOWN = '/.well-known/oauth-protected-resource';

/** The OAuth 2.0 Protected Resource Metadata document (RFC 9728 §2) this proxy publishes. */
export interface ResourceMetadata {
  resource: string;
  authorization_servers: string[];
  scopes_supported?: string[];
  bearer_methods_supported: string[];
  resource_name: string;
}

/** The resource identifier: `resource`, else `audience`. */
export const resourceOf = (jwt: JwtOptions): string => jwt.resource ?? jwt.audience;

/**
 * The metadata document for `jwt`. `resource` is exactly the identifier
 * tokens are minted for, as RFC 9728 §3.3 asks of a client that checks it.
 */
export function metadataOf(jwt: JwtOptions): ResourceMetadata {
  return {
    resource: resourceOf(jwt),
    authorization_servers: jwt.authorizationServers ?? [jwt.issuer],
    ...(jwt.scopes.length > 0 ? { scopes_supported: jwt.scopes } : {}),
    bearer_methods_supported: ['header'],
    resource_name: 'mcproxy',
  };
}

/**
 * The paths the document is served on: the path-suffixed form RFC 9728 §3.1
 * derives from the resource identifier (`/.well-known/oauth-protected-resource/mcp`
 * for `https://host/mcp`), the same for the MCP endpoint's path if it
 * differs, and the bare well-known path that clients of the MCP
 * authorization spec try when a 401 names no document.
 */
export function metadataPaths(jwt: JwtOptions, mcpPaths: readonly string[]): Set<string> {
  const paths = new Set([WELL_KNOWN]);
  const suffix = (p: string): string => (p === '/' || p === '' ? WELL_KNOWN : `${WELL_KNOWN}${p.replace(/\/$/, '')}`);
  const resourcePath = URL.canParse(resourceOf(jwt)) ? new URL(resourceOf(jwt)).pathname : '/';
  paths.add(suffix(resourcePath));
  for (const p of mcpPaths) paths.add(suffix(p));
  return paths;
}

/**
 * The absolute URL of the metadata document, as `resource_metadata` in a
 * 401's `WWW-Authenticate`: built from the configured resource, never from
 * the request's Host header, so a client cannot be pointed elsewhere.
 */
export function metadataUrl(jwt: JwtOptions): string | undefined {
  if (!URL.canParse(resourceOf(jwt))) return undefined;
  const resource = new URL(resourceOf(jwt));
  const path = resource.pathname === '/' ? WELL_KNOWN : `${WELL_KNOWN}${resource.pathname.replace(/\/$/, '')}`;
  return new URL(path, resource.origin).href;
}
