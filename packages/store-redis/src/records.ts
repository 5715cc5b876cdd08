import { isObject, type Message, type Principal } from '@mcproxy/core';
import type { SessionEntry } from '@mcproxy/transport-streamable-http';

/** The version of every record this package writes; a record with another is refused, never guessed at. */
export const RECORD_VERSION = 1;

/** Every key the store writes, under one prefix (docs/operations.md lists what each holds). */
export function keysOf(prefix: string) {
  return {
    replica: (id: string) => `${prefix}replica:${id}`,
    session: (id: string) => `${prefix}session:${id}`,
    events: (sessionId: string) => `${prefix}events:${sessionId}`,
    eventBytes: (sessionId: string) => `${prefix}event-bytes:${sessionId}`,
    state: (stateHash: string) => `${prefix}state:${stateHash}`,
    secret: (purpose: string) => `${prefix}secret:${purpose}`,
    rate: (name: string, key: string) => `${prefix}rate:${name}:${key}`,
  };
}

export type Keys = ReturnType<typeof keysOf>;

const parse = (text: unknown): Record<string, unknown> | undefined => {
  if (typeof text !== 'string') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) && value.v === RECORD_VERSION ? value : undefined;
  } catch {
    return undefined;
  }
};

const isPrincipal = (p: unknown): p is Principal =>
  isObject(p) &&
  typeof p.id === 'string' &&
  (p.kind === 'api-key' || p.kind === 'jwt') &&
  Array.isArray(p.scopes) &&
  p.scopes.every((s) => typeof s === 'string') &&
  isObject(p.claims);

/** A session entry as stored: `{v:1,id,owner,principal,initialize}`. */
export const sessionRecord = (entry: SessionEntry): string =>
  JSON.stringify({ v: RECORD_VERSION, id: entry.id, owner: entry.owner, principal: entry.principal, initialize: entry.initialize });

/** The entry stored for `sessionId`, or undefined when the text is not one this version wrote for that session. */
export function parseSession(text: unknown, sessionId: string): SessionEntry | undefined {
  const r = parse(text);
  if (r === undefined || r.id !== sessionId || typeof r.owner !== 'string' || !isObject(r.initialize)) return undefined;
  if (r.principal !== undefined && !isPrincipal(r.principal)) return undefined;
  const initialize = r.initialize as unknown as Message;
  return r.principal === undefined ? { id: sessionId, owner: r.owner, initialize } : { id: sessionId, owner: r.owner, principal: r.principal, initialize };
}

/** A replica's lease as stored: `{v:1,url}`. */
export const leaseRecord = (url: string): string => JSON.stringify({ v: RECORD_VERSION, url });

export function parseLease(text: unknown): string | undefined {
  const r = parse(text);
  return r !== undefined && typeof r.url === 'string' ? r.url : undefined;
}

/** Which replica holds a parked call, as stored: `{v:1,replica}`. */
export const holderRecord = (replica: string): string => JSON.stringify({ v: RECORD_VERSION, replica });

export function parseHolder(text: unknown): string | undefined {
  const r = parse(text);
  return r !== undefined && typeof r.replica === 'string' ? r.replica : undefined;
}

/** One shared event as stored: `{v:1,eventId,streamId,text}`. */
export const eventRecord = (e: { eventId: string; streamId: string; text: string }): string =>
  JSON.stringify({ v: RECORD_VERSION, eventId: e.eventId, streamId: e.streamId, text: e.text });

export function parseEvent(text: unknown): { eventId: string; streamId: string; text: string } | undefined {
  const r = parse(text);
  if (r === undefined || typeof r.eventId !== 'string' || typeof r.streamId !== 'string' || typeof r.text !== 'string') return undefined;
  return { eventId: r.eventId, streamId: r.streamId, text: r.text };
}
