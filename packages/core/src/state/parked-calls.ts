/**
 * Where the bridge's parked calls are kept: 2025-era calls waiting for their
 * 2026-07-28 clients to answer an `input_required` round. Owned by the
 * proxy (`ParkedCalls` in the bridge); each lives until its retry, its
 * expiry (`limits.parkedCallMs`) or its cancellation; bounded by
 * `limits.parkedCalls`, of which one principal holds at most
 * `limits.parkedCallsPerPrincipal`. A call is a live object (its upstream
 * request is open), so it stays in the process that runs it.
 */
export interface ParkedTable<C> {
  get(id: string): C | undefined;
  /** Adds a call; the limit that refused it, when the table or the principal's share is full. */
  add(id: string, call: C, principal: string | undefined): 'parkedCalls' | 'parkedCallsPerPrincipal' | undefined;
  /** Removes a call; false when it was not there. */
  delete(id: string, principal: string | undefined): boolean;
  values(): IterableIterator<C>;
  readonly size: number;
}

/** Parked calls in a map, counted per principal. */
export class MemoryParkedTable<C> implements ParkedTable<C> {
  private readonly calls = new Map<string, C>();
  private readonly byPrincipal = new Map<string, number>();

  constructor(
    private readonly max: number,
    private readonly perPrincipal = max,
  ) {}

  get(id: string): C | undefined {
    return this.calls.get(id);
  }

  add(id: string, call: C, principal: string | undefined): 'parkedCalls' | 'parkedCallsPerPrincipal' | undefined {
    if (this.calls.size >= this.max) return 'parkedCalls';
    if (principal !== undefined) {
      const held = this.byPrincipal.get(principal) ?? 0;
      if (held >= this.perPrincipal) return 'parkedCallsPerPrincipal';
      this.byPrincipal.set(principal, held + 1);
    }
    this.calls.set(id, call);
    return undefined;
  }

  delete(id: string, principal: string | undefined): boolean {
    if (!this.calls.delete(id)) return false;
    if (principal === undefined) return true;
    const held = (this.byPrincipal.get(principal) ?? 1) - 1;
    if (held > 0) this.byPrincipal.set(principal, held);
    else this.byPrincipal.delete(principal);
    return true;
  }

  values(): IterableIterator<C> {
    return this.calls.values();
  }

  get size(): number {
    return this.calls.size;
  }
}
