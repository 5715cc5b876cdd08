import type { Message, Principal } from '@mcproxy/core';

/**
 * One 2025-era session as every replica sees it: who opened it, with what
 * `initialize`, and which replica holds it now (its upstream links, child
 * processes and open streams live there). `owner` is empty while nobody
 * holds it (its owner drained and let it go): the next replica that gets
 * one of its requests takes it.
 */
export interface SessionEntry {
  readonly id: string;
  /** The replica that holds the session ('' when released). */
  readonly owner: string;
  readonly principal?: Principal;
  /** The client's `initialize` request, replayed by a replica that takes the session over. */
  readonly initialize: Message;
}

/** A replica: its id and the origin of its MCP face (`http://10.0.0.5:8080`), where others forward what it holds. */
export interface Replica {
  readonly id: string;
  readonly url: string;
}

/** The shared store cannot be reached, or refused the operation. The message names the store, never its password. */
export class StoreUnavailable extends Error {
  override readonly name = 'StoreUnavailable';
}

/**
 * Where the replicas of one deployment find each other's sessions. Every
 * call may throw `StoreUnavailable`; none waits longer than the store's own
 * command timeout. Entries expire `sessionTtlMs` after their last `touch`,
 * leases `leaseMs` after their last renewal.
 */
export interface SessionDirectory {
  /** This replica. Its lease is renewed by the directory from `start` until `stop`. */
  readonly self: Replica;
  /** Records a session this replica just opened (owner: `self.id`). */
  open(entry: SessionEntry): Promise<void>;
  /** The entry of `sessionId`, or undefined when no replica has it (never opened, closed, expired). Store data that does not parse is logged and reads as undefined. */
  lookup(sessionId: string): Promise<SessionEntry | undefined>;
  /** The replica `replicaId` while its lease holds, else undefined (dead, or drained and gone). */
  replica(replicaId: string): Promise<Replica | undefined>;
  /** Every other replica whose lease holds now (a draining replica hands a request to one of them). */
  others(): Promise<Replica[]>;
  /** Makes this replica the owner, if the owner is still `from` (a dead replica, or '' when released); false when another replica won. Atomic. */
  claim(sessionId: string, from: string): Promise<boolean>;
  /** Lets a session go (this replica drains): any replica may claim it. Only the owner's release counts. */
  release(sessionId: string): Promise<void>;
  /** The session ended (DELETE, idle): its entry and its shared events go. */
  close(sessionId: string): Promise<void>;
  /** Keeps the entry of a live session from expiring (the directory throttles this itself). */
  touch(sessionId: string): Promise<void>;
  /** Records that this replica holds the call a 2026-07-28 `requestState` resumes (by its hash), for `ttlMs`. */
  holdState(stateHash: string, ttlMs: number): Promise<void>;
  /** The replica that holds the call `stateHash` resumes, if one said so. */
  stateHolder(stateHash: string): Promise<string | undefined>;
  /** A token that proves a forwarded request comes from a replica (HMAC with a key every replica shares). */
  forwardToken(sessionId: string): string;
  /** Whether `token` is one `forwardToken(sessionId)` made on some replica within the last 30 s. */
  verifyForward(sessionId: string, token: string): boolean;
}

/** One SSE event of a session, as kept in the shared store: enough to put it back in an `EventLog` under the same id. */
export interface SharedEvent {
  readonly eventId: string;
  readonly streamId: string;
  /** The message as JSON ('{}' for a priming event). */
  readonly text: string;
}

/**
 * A copy of every session's SSE events in the shared store, so that a
 * replica that takes a session over can resume its streams from the
 * client's `Last-Event-ID`. An event is in the store before the client can
 * have seen it. Bounded per session (count and bytes), expiring with it.
 */
export interface SharedEvents {
  append(sessionId: string, event: SharedEvent): Promise<void>;
  /** Every event kept for `sessionId`, oldest first. */
  load(sessionId: string): Promise<SharedEvent[]>;
  drop(sessionId: string): Promise<void>;
}
