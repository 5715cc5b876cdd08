/**
 * Who a request comes from, as the face that authenticated it says: an API key's id, or a JWT's
 * subject with its scopes and claims. Core carries it on the session (`ctx.session.principal`): a
 * legacy session is bound to the principal that opened it, and a modern HTTP request is a session
 * of its own, so every request's context names its principal in both eras. Undefined where nothing
 * authenticates (stdio, a face without `auth`).
 */
export interface Principal {
  /** The key's configured id, or the token's `sub`. */
  readonly id: string;
  /** How it was proven. */
  readonly kind: 'api-key' | 'jwt';
  /** Granted scopes (a JWT's `scope`/`scp`; a key's configured `scopes`). */
  readonly scopes: readonly string[];
  /** A JWT's verified claims (never the token itself); `{}` for a key. */
  readonly claims: Readonly<Record<string, unknown>>;
}

/** Are these two the same principal (both absent counts)? What a session bound to `owner` asks of a later request. */
export function samePrincipal(owner: Principal | undefined, other: Principal | undefined): boolean {
  if (owner === undefined || other === undefined) return owner === other;
  return owner.kind === other.kind && owner.id === other.id;
}

/**
 * A principal as one string, for binding sealed state to it (a parked call's requestState, an
 * aggregate task id): the kind is part of it, so an API key named `alice` is not the JWT subject
 * `alice`. Undefined when nothing authenticated the request.
 */
export function principalKey(principal: Principal | undefined): string | undefined {
  return principal === undefined ? undefined : `${principal.kind}:${principal.id}`;
}
