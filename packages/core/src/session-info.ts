import type { ClientContext, Era } from './client-context.js';
import type { Principal } from './principal.js';

/** What middleware sees of a downstream session. */
export interface SessionInfo {
  /** Stable for the session's life: the transport's session id, or one core made up. */
  readonly id: string;
  /** Per-session state for middleware. Key it by a symbol of your own. */
  readonly state: Map<symbol | string, unknown>;
  /** `legacy` (initialize, one `Mcp-Session-Id` or stdio pipe) or `modern` (a lone 2026-07-28 request, or a stdio pipe that began with one); undefined until known. */
  readonly era: Era | undefined;
  /** Legacy: what the client said in `initialize`, once it has. Prefer `ctx.client`, which is set in both eras. */
  readonly client: ClientContext | undefined;
  /** Who opened the session (a modern HTTP request: who sent it), as the face authenticated it; undefined where nothing authenticates. */
  readonly principal?: Principal;
}
