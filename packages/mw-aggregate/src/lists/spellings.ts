const key = (upstream: string, uri: string): string => `${upstream}\n${uri}`;

/**
 * How open listens named each upstream URI they subscribed to, counted: an
 * update from the upstream must reach the client under the name the client
 * used (an `mcproxy://` alias, say), or core's filter would not let it by.
 */
export class Spellings {
  private readonly byKey = new Map<string, Map<string, number>>();

  add(upstream: string, uri: string, spelling: string): void {
    const spellings = this.byKey.get(key(upstream, uri)) ?? new Map<string, number>();
    spellings.set(spelling, (spellings.get(spelling) ?? 0) + 1);
    this.byKey.set(key(upstream, uri), spellings);
  }

  remove(upstream: string, uri: string, spelling: string): void {
    const spellings = this.byKey.get(key(upstream, uri));
    const count = spellings?.get(spelling);
    if (spellings === undefined || count === undefined) return;
    if (count > 1) spellings.set(spelling, count - 1);
    else spellings.delete(spelling);
    if (spellings.size === 0) this.byKey.delete(key(upstream, uri));
  }

  of(upstream: string, uri: string): string[] {
    return [...(this.byKey.get(key(upstream, uri))?.keys() ?? [])];
  }
}
