// Credentials toward an upstream: the `Authorization` header of every request a link sends, per principal.
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { ConfigError, onAbort, ProxyErrorCode, toResponse, type Abort, type Logger, type Principal, type RequestId, type Response } from '@mcproxy/core';

/**
 * Where an upstream link gets its `Authorization` header (the `credentials`
 * option of `streamableHttpUpstream` and `urlUpstream`). The link asks on
 * behalf of its principal (core's `connect(context)`); the token a client
 * presented to the proxy is never one of them.
 *
 * Errors either method throws answer the request: an error with an
 * `rpcError` (`{ code, message, data? }`) is the request's answer as it is
 * (a -32042 asking the user to authorize, say); any other is -32011 with
 * data `{ reason: 'credentials' }`.
 */
export interface UpstreamCredentials {
  /**
   * The `Authorization` value for a request sent on behalf of `principal`,
   * or undefined to send none. Called per HTTP request (POST, GET, DELETE):
   * must be fast when a token is cached.
   */
  authorization(principal: Principal | undefined): Promise<string | undefined>;
  /**
   * The upstream refused a request: 401, or 403 whose WWW-Authenticate says
   * `error="insufficient_scope"`. `challenge` is that header, `sent` the
   * refused `Authorization` value. True when new credentials are ready and
   * the request should be sent once more (at most once per request); false
   * gives up, and the request gets the refusal.
   */
  refused(principal: Principal | undefined, refusal: { status: 401 | 403; challenge: string | undefined; sent: string | undefined }): Promise<boolean>;
}

/** A JSON-RPC error object, as credentials throw it in `rpcError`. */
export interface CredentialsRpcError {
  code: number;
  message: string;
  data?: unknown;
}

/** A request's credentials could not be had: `rpcError` is its answer. Thrown by `HttpClient.request`. */
export class CredentialsFailure extends Error {
  constructor(readonly rpcError: CredentialsRpcError) {
    super(rpcError.message);
    this.name = 'CredentialsFailure';
  }
}

const isRpcError = (e: unknown): e is CredentialsRpcError =>
  typeof e === 'object' && e !== null && Number.isInteger((e as CredentialsRpcError).code) && typeof (e as CredentialsRpcError).message === 'string';

/** What an error of the credentials becomes: its own `rpcError`, or -32011 naming the reason (the credentials' message, no header). */
function failureOf(err: unknown): CredentialsFailure {
  if (err instanceof CredentialsFailure) return err;
  const own = (err as { rpcError?: unknown } | null)?.rpcError;
  if (isRpcError(own)) return new CredentialsFailure({ code: own.code, message: own.message, ...(own.data === undefined ? {} : { data: own.data }) });
  const why = err instanceof Error ? err.message : String(err);
  return new CredentialsFailure({
    code: ProxyErrorCode.UpstreamUnavailable,
    message: `credentials for this upstream: ${why}`,
    data: { reason: 'credentials' },
  });
}

/** Waits for `work`, or rejects as soon as `signal` aborts (the request's deadline or cancellation): credentials never hold a request past it. */
function within<T>(work: Promise<T>, signal: Abort | undefined): Promise<T> {
  if (signal === undefined) return work;
  if (signal.aborted) return Promise.reject(new Error('abandoned'));
  return new Promise<T>((resolve, reject) => {
    const stop = onAbort(signal, () => reject(new Error('abandoned')));
    work.then(resolve, reject).finally(stop);
  });
}

/** Is this a refusal the credentials should hear of: 401, or 403 for want of scope (RFC 6750 §3.1)? */
function refusalOf(res: IncomingMessage): { status: 401 | 403; challenge: string | undefined } | undefined {
  const challenge = res.headers['www-authenticate'];
  if (res.statusCode === 401) return { status: 401, challenge };
  if (res.statusCode === 403 && challenge !== undefined && /error\s*=\s*"?insufficient_scope"?/i.test(challenge)) return { status: 403, challenge };
  return undefined;
}

/**
 * One link's credentials: the upstream's, bound to the principal the link
 * was opened for. `send` puts the header on a request and, when the
 * upstream refuses it, tells the credentials and sends it once more if they
 * say so; never twice.
 */
export class LinkCredentials {
  /** The last `Authorization` value sent, so errors that relay the upstream's text can cut it out. */
  lastSent: string | undefined;

  constructor(
    private readonly credentials: UpstreamCredentials,
    readonly principal: Principal | undefined,
  ) {}

  /** Sends a request with `go` under the principal's `Authorization`; rejects with a `CredentialsFailure` when the credentials fail. */
  async send(headers: OutgoingHttpHeaders, go: (headers: OutgoingHttpHeaders) => Promise<IncomingMessage>, signal?: Abort): Promise<IncomingMessage> {
    const sent = await this.authorization(signal);
    const res = await go(withAuthorization(headers, sent));
    const refusal = refusalOf(res);
    if (refusal === undefined) return res;
    let again: boolean;
    try {
      again = await within(this.credentials.refused(this.principal, { ...refusal, sent }), signal);
    } catch (err) {
      res.resume();
      throw signal?.aborted === true ? err : failureOf(err);
    }
    if (!again) return res;
    res.resume();
    return go(withAuthorization(headers, await this.authorization(signal)));
  }

  private async authorization(signal: Abort | undefined): Promise<string | undefined> {
    try {
      const value = await within(this.credentials.authorization(this.principal), signal);
      if (value !== undefined) this.lastSent = value;
      return value;
    } catch (err) {
      throw signal?.aborted === true ? err : failureOf(err);
    }
  }
}

const withAuthorization = (headers: OutgoingHttpHeaders, value: string | undefined): OutgoingHttpHeaders =>
  value === undefined ? headers : { ...headers, authorization: value };

/**
 * The answer a request gets when its credentials failed (`err` a
 * `CredentialsFailure`): a response for `id`; undefined for any other error.
 * A notification that fails so is dropped, with a warning that names no secret.
 */
export function credentialsAnswer(err: unknown, id: RequestId | undefined, log: Logger, method: string): Response | 'dropped' | undefined {
  if (!(err instanceof CredentialsFailure)) return undefined;
  if (id !== undefined) return toResponse(id, { error: err.rpcError });
  log.warn({ method, code: err.rpcError.code }, 'a notification was dropped: no credentials for it');
  return 'dropped';
}

/** Refuses an `Authorization` among configured headers when credentials own that header (a `ConfigError`). */
export function checkHeadersFor(credentials: UpstreamCredentials | undefined, headers: Record<string, string> | undefined): void {
  if (credentials === undefined || headers === undefined) return;
  if (Object.keys(headers).some((h) => h.toLowerCase() === 'authorization'))
    throw new ConfigError('headers must not set Authorization when credentials are given: the credentials send that header');
}
