// The auth/* client scenarios of the conformance suite, played through
// mcproxy: the scenario's server is an OAuth-protected upstream, and mcproxy's
// upstream side is the OAuth client under test. The driver's downstream client
// is one principal (an API key) and a scripted user: when mcproxy asks it to
// authorize (a URL elicitation, or an error naming the URL), it follows the URL
// the way a browser would (redirects by hand, cookies kept) and retries.
import { RpcError } from './conformance-client-wire.mjs';

/** The API key the driver's client presents; mcproxy knows it as principal `conformance-user`. */
export const DRIVER_KEY = 'conformance-driver-key-0123456789abcdef';
/** The client id a Client ID Metadata Document names (the suite's auth server expects exactly this URL). */
const CIMD_URL = 'https://conformance-test.local/client-metadata.json';
/** Authorization attempts the scripted user makes for one request before giving up. */
const MAX_CONSENTS = 4;
const MAX_REDIRECTS = 10;
const HOP_TIMEOUT_MS = 5_000;

/** What each auth/* scenario that applies checks of mcproxy's OAuth client (the upstream side). */
export const AUTH_APPLICABLE = {
  'auth/metadata-default': 'RFC 9728 protected-resource metadata and RFC 8414 metadata found at their default locations',
  'auth/metadata-var1': 'metadata discovery: path-based protected-resource metadata, OIDC discovery',
  'auth/metadata-var2': 'metadata discovery: metadata URL from WWW-Authenticate, path-based authorization server',
  'auth/metadata-var3': 'metadata discovery: another combination of locations the spec allows',
  'auth/basic-cimd': 'a Client ID Metadata Document URL is the client_id when the server supports it',
  'auth/scope-from-www-authenticate': 'the scope of the WWW-Authenticate challenge is requested',
  'auth/scope-from-scopes-supported': 'without a challenged scope, every scope of scopes_supported is requested',
  'auth/scope-omitted-when-undefined': 'no scope parameter when neither names one',
  'auth/scope-step-up': '403 insufficient_scope: authorization again with the union of the old and the challenged scopes',
  'auth/scope-retry-limit': 'no more than 3 authorizations for a scope the server keeps refusing',
  'auth/token-endpoint-auth-basic': 'client_secret_basic at the token endpoint when the registration says so',
  'auth/token-endpoint-auth-post': 'client_secret_post at the token endpoint when the registration says so',
  'auth/token-endpoint-auth-none': 'a public client (no secret) at the token endpoint',
  'auth/pre-registration': 'a configured client id and secret, no dynamic registration',
  'auth/resource-mismatch': 'protected-resource metadata naming another resource is refused',
  'auth/offline-access-scope': 'offline_access requested when the authorization server offers it',
  'auth/offline-access-not-supported': 'offline_access not requested when the authorization server does not offer it',
  'auth/authorization-server-migration': 'a new authorization server gets a new registration; no client id carried across',
  'auth/iss-supported': 'a correct iss in the authorization response is accepted',
  'auth/iss-not-advertised': 'no iss, none advertised: accepted',
  'auth/iss-supported-missing': 'iss advertised but missing from the response: refused before the token request',
  'auth/iss-wrong-issuer': 'a wrong iss: refused before the token request',
  'auth/iss-unexpected': 'an iss that was not advertised is still compared, and a wrong one refused',
  'auth/iss-normalized': 'iss compared as an exact string (a trailing slash is a mismatch)',
  'auth/metadata-issuer-mismatch': 'authorization server metadata whose issuer is not the URL it came from is refused',
  'auth/client-credentials-basic': 'client_credentials with client_secret_basic',
  'auth/client-credentials-jwt': 'client_credentials with a private_key_jwt client assertion',
};

/** Extension scenarios (not on the 2026-07-28 timeline): the suite runs them only when forced, and does not score them. */
export const AUTH_EXTENSIONS = new Set(['auth/client-credentials-basic', 'auth/client-credentials-jwt']);

/** Scenarios in which a correct client refuses to go on: the play is expected to stop with an error, and succeeding would be the fault. */
export const AUTH_REFUSALS = new Set([
  'auth/scope-retry-limit',
  'auth/resource-mismatch',
  'auth/iss-supported-missing',
  'auth/iss-wrong-issuer',
  'auth/iss-unexpected',
  'auth/iss-normalized',
  'auth/metadata-issuer-mismatch',
]);

/** Scenarios whose mechanism mcproxy does not offer an upstream, with why (the driver does not play them). */
export const AUTH_NOT_APPLICABLE = {
  'auth/dpop': 'DPoP (RFC 9449) sender-constrained tokens are not implemented for upstreams yet; tokens are Bearer',
  'auth/dpop-nonce': 'DPoP (RFC 9449) sender-constrained tokens are not implemented for upstreams yet; tokens are Bearer',
  'auth/enterprise-managed-authorization':
    'enterprise-managed authorization (an IdP ID-JAG exchanged for an upstream token) needs an IdP identity of the user, which a gateway gets only from its own inbound token; mcproxy offers RFC 8693 exchange of that token instead',
  'auth/wif-jwt-bearer': 'workload identity federation (RFC 7523 jwt-bearer with a platform-issued assertion) is not implemented for upstreams yet',
};

/** The `auth:` block of the scenario's upstream in mcproxy's pipeline file. */
export function upstreamAuth(scenario, context) {
  switch (scenario) {
    case 'auth/client-credentials-basic':
      return { clientCredentials: { clientId: context.client_id, clientSecret: context.client_secret, tokenEndpointAuthMethod: 'client_secret_basic' } };
    case 'auth/client-credentials-jwt':
      return {
        clientCredentials: {
          clientId: context.client_id,
          privateKey: context.private_key_pem,
          ...(context.signing_algorithm ? { privateKeyAlg: context.signing_algorithm } : {}),
          tokenEndpointAuthMethod: 'private_key_jwt',
        },
      };
    case 'auth/pre-registration':
      return { oauth: { clientId: context.client_id, clientSecret: context.client_secret } };
    default:
      return { oauth: { clientMetadataUrl: CIMD_URL } };
  }
}

/** The pipeline file's lines for the face (one API key) and the scenario's upstream with its `auth:`. */
export function authPipeline(url, protocol, scenario, context) {
  return [
    'serve:',
    '  http: { host: 127.0.0.1, port: 0 }',
    'auth:',
    `  apiKeys: [{ id: conformance-user, key: ${JSON.stringify(DRIVER_KEY)} }]`,
    'upstreams:',
    `  scenario: { url: ${JSON.stringify(url)}, protocol: ${JSON.stringify(protocol)}, auth: ${JSON.stringify(upstreamAuth(scenario, context))} }`,
    '',
  ];
}

/**
 * What a browser does with an authorization URL: GET it, follow every
 * redirect (mcproxy's start → the authorization server, which consents at
 * once → mcproxy's callback), carrying the cookies each host set. Resolves
 * with the last status and the hosts visited.
 */
export async function followAsUser(start) {
  const jar = new Map();
  const visited = [];
  let url = new URL(start);
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    visited.push(`${url.origin}${url.pathname}`);
    const cookie = [...(jar.get(url.host) ?? new Map())].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {}, signal: AbortSignal.timeout(HOP_TIMEOUT_MS) });
    for (const line of response.headers.getSetCookie?.() ?? []) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      if (at > 0) {
        const cookies = jar.get(url.host) ?? new Map();
        cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
        jar.set(url.host, cookies);
      }
    }
    const location = response.headers.get('location');
    await response.arrayBuffer();
    if (response.status < 300 || response.status >= 400 || location === null) return { status: response.status, visited };
    url = new URL(location, url);
  }
  return { status: 0, visited };
}

/** The URLs an answer asks the user to open: URL elicitations of an input_required result, or of a -32042 error, or one named in an error's message. */
function consentUrls(answer) {
  if (answer instanceof RpcError) {
    const listed = (answer.data?.elicitations ?? []).filter((e) => e?.mode === 'url').map((e) => e.url);
    if (listed.length > 0) return listed;
    const named = /https?:\/\/\S+\/oauth\/start\?\S+/.exec(answer.message)?.[0];
    return named ? [named.replace(/[).,;'"]+$/, '')] : [];
  }
  if (answer?.resultType !== 'input_required') return [];
  return Object.values(answer.inputRequests ?? {})
    .filter((r) => r?.method === 'elicitation/create' && r.params?.mode === 'url')
    .map((r) => r.params.url);
}

/**
 * One request as a consenting user makes it: whenever mcproxy asks for an
 * authorization, the user follows the URL, then the request is made again
 * (with the round's `inputResponses` and `requestState` when it was an
 * input_required round). Gives up after MAX_CONSENTS authorizations.
 */
export async function withConsent(client, method, params, notes) {
  let current = params;
  for (let consent = 0; ; consent++) {
    let answer;
    try {
      answer = await client.request(method, current);
    } catch (error) {
      if (!(error instanceof RpcError)) throw error;
      answer = error;
    }
    const urls = consentUrls(answer);
    if (urls.length === 0) {
      if (answer instanceof RpcError) throw answer;
      if (answer?.resultType === 'input_required') throw new Error(`${method}: an input_required round this user cannot answer`);
      return answer;
    }
    if (consent === MAX_CONSENTS) throw new Error(`${method}: still asked to authorize after ${MAX_CONSENTS} authorizations`);
    for (const url of urls) {
      const { status, visited } = await followAsUser(url);
      notes.push(`${method}: authorized through ${visited.length} hops, last answer HTTP ${status}`);
    }
    if (answer instanceof RpcError) continue;
    const inputResponses = Object.fromEntries(Object.keys(answer.inputRequests ?? {}).map((key) => [key, { action: 'accept' }]));
    current = { ...params, inputResponses, ...(answer.requestState === undefined ? {} : { requestState: answer.requestState }) };
  }
}

/** The play of every auth/* scenario that applies: what the suite's own example client does (list the tools, call `test-tool`), as a consenting user. */
export async function authPlay(client) {
  const notes = [];
  const listed = await withConsent(client, 'tools/list', {}, notes);
  notes.push(`tools/list: ${(listed.tools ?? []).map((t) => t.name).join(', ')}`);
  const called = await withConsent(client, 'tools/call', { name: 'test-tool', arguments: {} }, notes);
  notes.push(`tools/call test-tool: isError ${called.isError === true}`);
  return notes;
}
