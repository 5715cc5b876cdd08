/**
 * The 2026-07-28 `subscriptions/listen` streams an HTTP face holds open, counted per principal: a
 * listen holds its connection for as long as the client likes, so each principal may hold only its
 * share of them (`limits.listensPerPrincipal`). One process counts them in memory (the Streamable
 * HTTP face's default).
 */
export interface Listeners {
  /** Counts one more open stream for the principal `key` and returns true, unless it already holds `max` (then false, nothing counted). */
  open(key: string, max: number): boolean;
  /** One stream of the principal `key` ended. */
  close(key: string): void;
}
