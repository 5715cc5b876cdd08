import type { ListKind, SessionInfo } from '@mcproxy/core';

/**
 * Filters leave their deny rules on the session under this key (see
 * mw-filter's guards.ts). Rename asks them about the old name it really
 * sends, so a filter before rename that denies `read_file` also holds for
 * the new name `read`. The contract belongs in core; each package keeps this
 * copy of it until it is there.
 */
const GUARDS = Symbol.for('mcproxy.guards');

type Guard = (kind: ListKind, value: string, upstream: string | undefined) => boolean;

/** Does a filter of this session deny the item of `kind` named `name` (at `upstream`, when known)? */
export function denied(session: SessionInfo, kind: ListKind, name: string, upstream: string | undefined): boolean {
  const guards = session.state.get(GUARDS) as Set<Guard> | undefined;
  if (guards === undefined) return false;
  for (const deny of guards) if (deny(kind, name, upstream)) return true;
  return false;
}
