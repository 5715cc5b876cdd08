import type { ClientContext, Era } from './client-context.js';
import type { Principal } from './principal.js';
import type { CloseHook } from './session-close.js';

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
  /**
   * Runs `hook` when the session ends (the client went away or the proxy
   * shuts down), before its links are released, so the hook may still send
   * requests through the chain with a `next(fork)` it kept (bounded: core
   * waits at most 5 s). Returns a function that removes the hook. Modern
   * requests are sessions of one request: a hook there runs with its answer.
   */
  onClose(hook: CloseHook): () => void;
}
