import type { ParkedTable } from '../../state/parked-calls.js';

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
