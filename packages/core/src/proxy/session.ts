import { randomUUID } from 'node:crypto';
import type { Channel } from '../wire/channel.js';
import { ProxyErrorCode } from '../wire/errors.js';
import { logId, type Logger } from '../wire/logger.js';
import { Peer } from '../wire/peer.js';
import { unstatedClient, type ClientContext, type Era } from '../chain/client-context.js';
import type { RequestId } from '../wire/jsonrpc.js';
import type { SessionInfo } from '../chain/session-info.js';
import type { Principal } from '../chain/principal.js';
import type { CloseHook } from '../chain/session-close.js';
import type { ServerProtocol } from './server-side.js';
import { MemorySessionRecords, type SessionRecord, type SessionRecords } from '../state/session-records.js';

export interface SessionOptions {
  /** The era, when the transport knows it (an HTTP session is legacy, a lone modern POST modern); else the first message decides. */
  era?: Era;
  /** Middleware state to use instead of a fresh map (modern requests of one face share theirs). */
  state?: Map<symbol | string, unknown>;
  /** Who the face authenticated for this session; it stays bound to the session for its life. */
  principal?: Principal;
  /** Where the session's record is kept (the proxy's `sessionRecords`); a map of its own when absent. */
  records?: SessionRecords;
}

/**
 * A 2025-era session (from `initialize` to its close, over stdio or one `Mcp-Session-Id`), or the
 * scope of one 2026-07-28 request (as long as its answer): its peer (ids toward the client), its
 * era's server side, its record, state for middleware. The pool keeps its links.
 */
export class Session implements SessionInfo {
  readonly id: string;
  readonly state: Map<symbol | string, unknown>;
  readonly peer: Peer<never>;
  /** The era's server side, once the era is known (from the transport, or the first request). */
  protocol: ServerProtocol | undefined;
  readonly log: Logger;
  readonly principal: Principal | undefined;
  /** Requests from its client in flight (the way in holds them to `limits.requestsPerSession`). */
  inFlight = 0;
  private readonly closeHooks = new Set<CloseHook>();
  private readonly records: SessionRecords;

  constructor(channel: Channel, log: Logger, id: string = randomUUID(), options: SessionOptions = {}) {
    this.id = id;
    this.state = options.state ?? new Map();
    this.principal = options.principal;
    this.records = options.records ?? new MemorySessionRecords();
    this.log = log.child({ session: logId(id) });
    this.peer = new Peer({
      channel,
      label: `session ${id}`,
      errorData: { session: id },
      closedCode: ProxyErrorCode.SessionClosed,
      log: this.log,
    });
  }

  /** What a 2025-era client said in `initialize` (kept in the session's record); undefined before it and for 2026-07-28 requests. */
  get client(): ClientContext | undefined {
    return this.records.get(this.id)?.client;
  }

  set client(client: ClientContext | undefined) {
    this.records.put({ ...this.record(), client });
  }

  /** Notes the session id upstream `name` gave the link this session uses, once it is known or has changed. */
  noteUpstreamSession(name: string, upstreamSession: string): void {
    const record = this.record();
    if (record.upstreamSessions[name] !== upstreamSession)
      this.records.put({ ...record, upstreamSessions: { ...record.upstreamSessions, [name]: upstreamSession } });
  }

  /** The session ended: its record goes. */
  forget(): void {
    this.records.delete(this.id);
  }

  private record(): SessionRecord {
    return this.records.get(this.id) ?? { id: this.id, ...(this.principal === undefined ? {} : { principal: this.principal }), upstreamSessions: {} };
  }

  /** `legacy` or `modern`; undefined until the first message of a stdio connection says. */
  get era(): Era | undefined {
    return this.protocol?.era;
  }

  onClose(hook: CloseHook): () => void {
    this.closeHooks.add(hook);
    return () => this.closeHooks.delete(hook);
  }

  /** The close hooks, handed over once (the session is ending). */
  takeCloseHooks(): CloseHook[] {
    const hooks = [...this.closeHooks];
    this.closeHooks.clear();
    return hooks;
  }

  /** The client a message toward this session goes to: the 2026-07-28 request it belongs to, or the 2025-era session's client. */
  clientOf(related: RequestId | undefined): ClientContext {
    return (this.protocol === undefined ? this.client : this.protocol.clientOf(related)) ?? unstatedClient(this.era ?? 'legacy');
  }
}
