import type { ClientContext } from '../chain/client-context.js';
import type { Principal } from '../chain/principal.js';

/**
 * What outlives the requests of one 2025-era session: who opened it, what the client said in
 * `initialize`, and the session id each upstream gave this session's links. Written by the proxy
 * when the session initializes and when a link learns its upstream's session id; dropped when the
 * session closes.
 */
export interface SessionRecord {
  readonly id: string;
  readonly principal?: Principal;
  readonly client?: ClientContext;
  /** Upstream name → the `Mcp-Session-Id` that upstream gave this session's own link. */
  readonly upstreamSessions: Readonly<Record<string, string>>;
}

/** Where 2025-era session records are kept. One process keeps them in memory ({@link MemorySessionRecords}). */
export interface SessionRecords {
  get(id: string): SessionRecord | undefined;
  put(record: SessionRecord): void;
  delete(id: string): void;
  readonly size: number;
}

/** Session records in a map, bounded by the live sessions (`limits.sessions`): put at `initialize`, deleted at close. */
export class MemorySessionRecords extends Map<string, SessionRecord> implements SessionRecords {
  put(record: SessionRecord): void {
    this.set(record.id, record);
  }
}
