import type { ListKind, SessionInfo } from '@mcproxy/core';

/**
 * Where filters leave their deny rules for the middleware that translate
 * names further down the chain (aggregate: a prefixed name or an alias URI
 * to an upstream's own; rename: a new name to an old one). A translator asks
 * every guard of the session about the spelling it is about to send; one
 * that says "denied" makes it answer "not found". So deny wins whatever
 * spelling a request used to reach an upstream item.
 *
 * The key is global (`Symbol.for`) because filter, rename and aggregate may
 * not depend on one another; the contract belongs in core, and each package
 * keeps this copy of it until it is there.
 */
export const GUARDS = Symbol.for('mcproxy.guards');

/** True when the item of `kind` spelled `value` (at `upstream`, when known) is denied. */
export type Guard = (kind: ListKind, value: string, upstream: string | undefined) => boolean;

/** The session's guards, made on first use. */
export function guardsOf(session: SessionInfo): Set<Guard> {
  let guards = session.state.get(GUARDS) as Set<Guard> | undefined;
  if (guards === undefined) {
    guards = new Set();
    session.state.set(GUARDS, guards);
  }
  return guards;
}

/** Does any guard of the session deny this spelling? */
export function guarded(session: SessionInfo, kind: ListKind, value: string, upstream: string | undefined): boolean {
  const guards = session.state.get(GUARDS) as Set<Guard> | undefined;
  if (guards === undefined) return false;
  for (const deny of guards) if (deny(kind, value, upstream)) return true;
  return false;
}
