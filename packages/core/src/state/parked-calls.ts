/**
 * Where the bridge's parked calls are kept: 2025-era calls waiting for their 2026-07-28 clients to
 * answer an `input_required` round. Owned by the proxy (`ParkedCalls` in the bridge); each lives
 * until its retry, its expiry (`limits.parkedCallMs`) or its cancellation; bounded by
 * `limits.parkedCalls`, of which one principal holds at most `limits.parkedCallsPerPrincipal`. A
 * call is a live object (its upstream request is open), so it stays in the process that runs it.
 * The default, `MemoryParkedTable`, is the bridge's (`eras/bridge/parked-table.ts`).
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
