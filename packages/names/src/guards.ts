import type { ListKind } from './mcp-lists.js';
import type { SessionInfo } from '@mcproxy/core';

/**
 * Where filters leave their deny rules for the middleware further down the
 * chain that send a name on under another spelling (mw-aggregate: a prefixed
 * name or an alias URI to an upstream's own; mw-rename: a new name to an old
 * one). Such a translator asks the session's guards about the spelling it is
 * about to send, and answers "not found" when one denies it; so deny wins
 * whatever spelling a request used. The key is global (`Symbol.for`) so that
 * two copies of core in one process still meet.
 */
export const GUARDS = Symbol.for('mcproxy.guards');

/** True when the item of `kind` spelled `value` (at `upstream`, when known) is denied. */
export type Guard = (kind: ListKind, value: string, upstream: string | undefined) => boolean;

const guardsIn = (session: SessionInfo): Set<Guard> | undefined => session.state.get(GUARDS) as Set<Guard> | undefined;

/**
 * Leaves `guard` on the session, once however often it is added: a filter
 * adds its guard on every request that passes it.
 *
 * @example
 * addGuard(ctx.session, (kind, value) => kind === 'tools' && value === 'delete_file');
 */
export function addGuard(session: SessionInfo, guard: Guard): void {
  let guards = guardsIn(session);
  if (guards === undefined) {
    guards = new Set();
    session.state.set(GUARDS, guards);
  }
  guards.add(guard);
}

/** Has any filter left a guard on this session? Translators skip their extra checks when none has. */
export function hasGuards(session: SessionInfo): boolean {
  return guardsIn(session) !== undefined;
}

/** Does any guard of the session deny the item of `kind` spelled `value` (at `upstream`, when known)? */
export function deniedByGuards(session: SessionInfo, kind: ListKind, value: string, upstream: string | undefined): boolean {
  const guards = guardsIn(session);
  if (guards === undefined) return false;
  for (const deny of guards) if (deny(kind, value, upstream)) return true;
  return false;
}
