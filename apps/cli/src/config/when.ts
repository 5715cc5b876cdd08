import { ConfigError, errorReply, JSONRPCErrorCode, principalKey, type Middleware, type Principal } from '@mcproxy/core';

/**
 * Whom a pipeline entry is for: principals by kind and id (`api-key:ci`,
 * `jwt:alice`, as `principalKey` spells them), and scopes they must all
 * hold. Both given: both must match.
 */
export interface When {
  readonly principals?: readonly string[] | undefined;
  readonly scopes?: readonly string[] | undefined;
}

/** The kinds a principal reference starts with; an API key `ci` and a JWT subject `ci` are two principals. */
export const PRINCIPAL_KINDS = ['api-key', 'jwt'] as const;

/** Is `ref` a principal written with its kind (`api-key:ci`, `jwt:alice`)? */
export const isPrincipalRef = (ref: string): boolean => PRINCIPAL_KINDS.some((k) => ref.startsWith(`${k}:`) && ref.length > k.length + 1);

/** Does `principal` satisfy `when`? No principal (an unauthenticated face, stdio) satisfies nothing. */
export function principalMatches(when: When, principal: Principal | undefined): boolean {
  if (principal === undefined) return false;
  if (when.principals !== undefined && !when.principals.includes(principalKey(principal)!)) return false;
  if (when.scopes !== undefined && !when.scopes.every((s) => principal.scopes.includes(s))) return false;
  return true;
}

/** Throws unless every principal of `when` names its kind: a bare id could be a key or a subject, and guessing is how one passes for the other. */
function checkRefs(when: When): void {
  const bare = (when.principals ?? []).filter((p) => !isPrincipalRef(p));
  if (bare.length === 0) return;
  const first = bare[0]!;
  throw new ConfigError(`when: principal "${first}" does not say its kind: write "api-key:${first}" for an API key or "jwt:${first}" for a token subject`);
}

/**
 * Runs `middleware` only for messages of sessions whose principal matches
 * `when`; for every other message it is skipped (`next()` straight away).
 * The session decides in both directions: a client's requests and
 * notifications, and what upstreams send toward that client (list changes,
 * progress, sampling), so a filter hides the same tools from one team's
 * lists, calls and notifications alike. Principals are written with their
 * kind; a bare id throws a ConfigError.
 *
 * @example
 * const ciOnly = onlyWhen({ principals: ['api-key:ci'] }, filter({ tools: { allow: ['run_*'] } }, env));
 */
export function onlyWhen(when: When, middleware: Middleware): Middleware {
  checkRefs(when);
  const guarded: Middleware = (ctx, next) => (principalMatches(when, ctx.session.principal) ? middleware(ctx, next) : next());
  Object.defineProperty(guarded, 'name', { value: `${middleware.name || 'middleware'} (when)` });
  return guarded;
}

/**
 * `when:` made default-deny: a client whose authenticated principal matches
 * none of `whens` is refused (its requests answered -32600, its
 * notifications dropped), instead of passing every entry that would have
 * restricted it. Messages without a principal (stdio, a face without auth)
 * and what upstreams send are not judged here.
 *
 * @example
 * const gate = refuseUnmatched([{ principals: ['api-key:ci'] }, { scopes: ['mcp:admin'] }]);
 */
export function refuseUnmatched(whens: readonly When[]): Middleware {
  for (const when of whens) checkRefs(when);
  return async function refuseUnmatched(ctx, next) {
    const principal = ctx.session.principal;
    if (principal === undefined || ctx.direction !== 'upstream' || whens.some((w) => principalMatches(w, principal))) return next();
    if (ctx.kind === 'notification') return undefined;
    return errorReply(
      JSONRPCErrorCode.InvalidRequest,
      `${principalKey(principal)} is not named by any when: entry of this pipeline, and unmatched principals are refused`,
    );
  };
}
