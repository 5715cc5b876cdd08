import type { ClientContext, Era } from './client-context.js';
import type { Principal } from './principal.js';
import type { CloseHook } from './session-close.js';

/**
 * What middleware sees of the downstream a message belongs to: a 2025-era
 * session (from `initialize` to its close), or the scope of one 2026-07-28
 * request (it lives as long as the request).
 */
export interface SessionInfo {
  /** Stable for the session's life: the transport's session id, or one core made up. */
  readonly id: string;
  /** Per-session state for middleware. Key it by a symbol of your own. */
  readonly state: Map<symbol | string, unknown>;
  /** The connection's era, once known. Middleware read the era of a message from `ctx.client.era`, which is set on every context. */
  readonly era: Era | undefined;
  /** Legacy: what the client said in `initialize`, once it has. Prefer `ctx.client`, which is set in both eras. */
  readonly client: ClientContext | undefined;
  /** Who opened the session (a modern HTTP request: who sent it), as the face authenticated it; undefined where nothing authenticates. */
  readonly principal?: Principal;
  /**
   * Runs `hook` when the session ends (the client went away or the proxy shuts down), before its
   * links are released, so the hook may still send requests through the chain with a `next(fork)`
   * it kept (bounded: core waits at most 5 s). Returns a function that removes the hook. Modern
   * requests are sessions of one request: a hook there runs with its answer.
   */
  onClose(hook: CloseHook): () => void;
}
