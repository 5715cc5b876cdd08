import { ProxyErrorCode, URL_ELICITATION_REQUIRED } from '@mcproxy/core';

export { URL_ELICITATION_REQUIRED };

/** The JSON-RPC error a transport answers a request with when credentials throw (see the design's "errors"). */
export interface RpcError {
  code: number;
  message: string;
  data?: unknown;
}

/**
 * Thrown when a principal must authorize in a browser before calls to an
 * `oauth` upstream can carry a token. The transport answers the request with
 * `rpcError` (-32042, one URL-mode elicitation); the consent rounds give it
 * to each client as it can take it.
 */
export class ConsentRequiredError extends Error {
  readonly rpcError: RpcError;

  constructor(
    readonly upstream: string,
    readonly url: string,
    readonly elicitationId: string,
  ) {
    const message = `Authorization required for upstream "${upstream}": open ${url} to sign in, then retry`;
    super(message);
    this.name = 'ConsentRequiredError';
    this.rpcError = {
      code: URL_ELICITATION_REQUIRED,
      message,
      data: { elicitations: [{ mode: 'url', elicitationId, url, message: `Sign in to "${upstream}" to let mcproxy call it for you.` }] },
    };
  }
}

/**
 * Anything else that keeps credentials from being ready: the authorization
 * server down, slow or answering garbage, a refused grant, no principal.
 * The message names the upstream and the reason and never a token or secret.
 */
export class CredentialsError extends Error {
  readonly rpcError: RpcError;

  constructor(
    readonly upstream: string,
    readonly reason: string,
  ) {
    const message = `credentials for upstream "${upstream}": ${reason}`;
    super(message);
    this.name = 'CredentialsError';
    this.rpcError = { code: ProxyErrorCode.UpstreamUnavailable, message, data: { reason: 'credentials', upstream } };
  }
}
