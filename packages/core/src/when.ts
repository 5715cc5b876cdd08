import type { Middleware } from './middleware.js';
import type { Principal } from './principal.js';

/** Whom a pipeline entry is for: principals by id, and scopes they must all hold. Both given: both must match. */
export interface When {
  readonly principals?: readonly string[] | undefined;
  readonly scopes?: readonly string[] | undefined;
}

/** Does `principal` satisfy `when`? No principal (an unauthenticated face, stdio) satisfies nothing. */
export function principalMatches(when: When, principal: Principal | undefined): boolean {
  if (principal === undefined) return false;
  if (when.principals !== undefined && !when.principals.includes(principal.id)) return false;
  if (when.scopes !== undefined && !when.scopes.every((s) => principal.scopes.includes(s))) return false;
  return true;
}

/**
 * Runs `middleware` only for messages of sessions whose principal matches
 * `when`; for every other message it is skipped (`next()` straight away).
 * The session decides in both directions: a client's requests and
 * notifications, and what upstreams send toward that client (list changes,
 * progress, sampling), so a filter hides the same tools from one team's
 * lists, calls and notifications alike.
 *
 * @example
 * const ciOnly = onlyWhen({ principals: ['ci'] }, filter({ tools: { allow: ['run_*'] } }, env));
 */
export function onlyWhen(when: When, middleware: Middleware): Middleware {
  const guarded: Middleware = (ctx, next) => (principalMatches(when, ctx.session.principal) ? middleware(ctx, next) : next());
  Object.defineProperty(guarded, 'name', { value: `${middleware.name || 'middleware'} (when)` });
  return guarded;
}
