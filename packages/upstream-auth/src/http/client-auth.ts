import { createPrivateKeyJwtAuth } from '@modelcontextprotocol/sdk/client/auth-extensions.js';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';

/** Adds the client's authentication to a token request (headers or form). */
export type ClientAuth = (headers: Headers, params: URLSearchParams, tokenEndpoint: string, issuer: string) => Promise<void>;

export interface ClientIdentity {
  clientId: string;
  clientSecret?: string;
  /** PKCS#8 PEM, for private_key_jwt. */
  privateKey?: string;
  privateKeyAlg?: string;
  method?: ClientAuthMethod;
}

/** The method used when none is configured: a key signs, a secret goes in Basic, else a public client. */
export function defaultMethod(client: ClientIdentity): ClientAuthMethod {
  return client.method ?? (client.privateKey ? 'private_key_jwt' : client.clientSecret !== undefined ? 'client_secret_basic' : 'none');
}

/**
 * The client authentication of RFC 6749 §2.3 and RFC 7523. private_key_jwt
 * uses the SDK's `createPrivateKeyJwtAuth` (jose underneath): an assertion
 * with iss = sub = client id, a jti, a 5-minute exp, and `aud` the
 * authorization server's issuer identifier, as RFC 7523bis and the
 * conformance scenario `auth/client-credentials-jwt` expect.
 */
export function clientAuthentication(client: ClientIdentity): ClientAuth {
  const method = defaultMethod(client);
  return async function addClientAuth(headers, params, tokenEndpoint, issuer) {
    if (method === 'client_secret_basic') {
      const pair = `${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret ?? '')}`;
      headers.set('Authorization', `Basic ${Buffer.from(pair).toString('base64')}`);
    } else if (method === 'client_secret_post') {
      params.set('client_id', client.clientId);
      params.set('client_secret', client.clientSecret ?? '');
    } else if (method === 'private_key_jwt') {
      const sign = createPrivateKeyJwtAuth({
        issuer: client.clientId,
        subject: client.clientId,
        privateKey: client.privateKey ?? '',
        alg: client.privateKeyAlg ?? 'RS256',
        audience: issuer,
      });
      await sign(headers, params, tokenEndpoint);
    } else {
      params.set('client_id', client.clientId);
    }
  };
}
