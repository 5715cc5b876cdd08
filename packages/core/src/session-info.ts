import type { Params } from './jsonrpc.js';

/** What the client said of itself in `initialize`. */
export interface ClientHello {
  protocolVersion: string;
  capabilities: Params;
  clientInfo: Params;
}

/** What middleware sees of a downstream session. */
export interface SessionInfo {
  /** Stable for the session's life: the transport's session id, or one core made up. */
  readonly id: string;
  /** Per-session state for middleware. Key it by a symbol of your own. */
  readonly state: Map<symbol | string, unknown>;
  /** Set once the client has sent `initialize`. */
  readonly client: ClientHello | undefined;
}
