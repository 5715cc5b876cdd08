/**
 * Who is subscribed to which resource on a shared link. The upstream hears
 * one subscribe when the first session subscribes and one unsubscribe when
 * the last one leaves; updates go only to the sessions subscribed.
 */
export class Subscriptions<S = object> {
  private readonly byUri = new Map<string, Set<S>>();

  /** Returns true when this is the first subscriber, so the upstream must be told. */
  add(uri: string, session: S): boolean {
    const set = this.byUri.get(uri) ?? new Set<S>();
    this.byUri.set(uri, set);
    set.add(session);
    return set.size === 1;
  }

  /** Returns true when no subscriber is left, so the upstream must be told. */
  remove(uri: string, session: S): boolean {
    const set = this.byUri.get(uri);
    if (set === undefined) return true;
    set.delete(session);
    if (set.size > 0) return false;
    this.byUri.delete(uri);
    return true;
  }

  subscribers(uri: string): S[] {
    return [...(this.byUri.get(uri) ?? [])];
  }

  /** Removes a session everywhere; returns the URIs nobody holds any longer. */
  dropSession(session: S): string[] {
    const orphaned: string[] = [];
    for (const [uri, set] of this.byUri) {
      if (set.delete(session) && set.size === 0) {
        this.byUri.delete(uri);
        orphaned.push(uri);
      }
    }
    return orphaned;
  }
}
