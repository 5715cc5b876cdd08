/**
 * The links the bridge keeps to one 2025-era upstream for 2026-07-28
 * clients. A 2025-era server keeps state per session (roots, log level,
 * subscriptions, its own caches), so its sessions are never shared across
 * principals, nor across sets of client capabilities (the server decides
 * what to ask by what `initialize` declared): each (principal,
 * capabilities) pair is a group with links of its own.
 *
 * Within a group, a call that may push (tools/call, prompts/get,
 * resources/read) needs to be the only call on its link unless the wire
 * names the request each message belongs to (streamable HTTP does; stdio
 * and HTTP+SSE do not): otherwise an elicitation could not be told apart.
 * So on such wires each call leases a link of its own, opened on demand and
 * kept for reuse; other requests ride on any link of the group.
 *
 * Bounded: `limits.bridgeLinks` links per upstream, of which one principal
 * holds at most `limits.bridgeLinksPerPrincipal`. When the bound is reached,
 * an idle link of another group is closed to make room; failing that, the
 * call waits for a link (at most its request deadline), then is refused
 * with -32016. Links beyond a group's first close after a minute unused.
 */
import { ProxyError, ProxyErrorCode } from '../../wire/errors.js';
import type { Params } from '../../wire/jsonrpc.js';
import { limitText } from '../../wire/limits.js';
import type { Link } from '../../links/link.js';
import { principalKey, type Principal } from '../../chain/principal.js';
import { bridgeCapabilities, once, type BridgeLinksHost, type Entry, type Group, type Lease } from './groups.js';

export type { BridgeLinksHost, Lease };
import { IDLE_LINK_MS } from '../../wire/timeouts.js';

/** The links of one 2025-era upstream serving 2026-07-28 clients, grouped by principal and capabilities. */
export class BridgeLinks {
  private readonly groups = new Map<string, Group>();
  private readonly waiting: Array<() => void> = [];
  private closed = false;
  /**
   * One link opened ahead and not yet initialized: the next group (or call)
   * that needs a link initializes it instead of waiting for a child to
   * start, and another is opened behind it. It counts against `bridgeLinks`.
   * With links per principal (`UpstreamSpec.perPrincipal`) it is opened for
   * the last principal that needed a link (`spareFor`), since its transport
   * sends that principal's credentials, and serves only that principal.
   */
  private spare: Promise<Link> | undefined;
  private spareFor: string | undefined;

  constructor(
    readonly upstream: string,
    private readonly host: BridgeLinksHost,
  ) {}

  /**
   * A link for one request of `principal` whose client declared
   * `declared`: for a call (`exclusive`), one no other call uses unless its
   * wire names every message's request; else any link of the group.
   */
  async lease(
    principal: string | undefined,
    declared: Params | undefined,
    exclusive: boolean,
    signal: AbortSignal | undefined,
    waitMs: number,
    owner?: Principal,
  ): Promise<Lease> {
    const capabilities = bridgeCapabilities(declared);
    const deadline = Date.now() + waitMs;
    for (;;) {
      // Looked up each time: while this request waited, its group may have lost its last link and been dropped.
      const group = this.groupFor(principal, capabilities, owner);
      try {
        const lease = await this.tryLease(group, exclusive);
        if (lease !== undefined) return lease;
        await this.wait(signal, deadline, group);
      } finally {
        // A group that got no link (the request waits or was refused) is not kept: principals are unbounded.
        if (group.entries.length === 0) this.groups.delete(group.key);
      }
    }
  }

  /** A lease now, if one can be had without waiting. */
  private async tryLease(group: Group, exclusive: boolean): Promise<Lease | undefined> {
    if (this.closed) throw new ProxyError(ProxyErrorCode.UpstreamClosed, `upstream "${this.upstream}" is closing`, { upstream: this.upstream });
    this.prune(group);
    const found = this.pick(group, exclusive);
    if (found !== undefined) return this.lend(found, exclusive);
    if (this.room(group) || this.evict(group)) {
      const entry = this.add(group);
      if (exclusive) entry.calls += 1;
      try {
        const link = await entry.opening;
        if (!exclusive) return { link, release: () => undefined };
        return { link, release: once(() => this.giveBack(entry)) };
      } catch (err) {
        if (exclusive) entry.calls -= 1;
        throw err;
      }
    }
    return undefined;
  }

  /** Every link open or opening, for sessions to be detached from and for closing. */
  all(): Array<Promise<Link>> {
    return [...this.groups.values()].flatMap((g) => g.entries.map((e) => e.opening));
  }

  /** Takes every link out (the proxy closes, or the upstream was retired); waiting requests are refused. */
  takeAll(): Array<Promise<Link>> {
    this.closed = true;
    const all = this.all();
    if (this.spare !== undefined) all.push(this.spare);
    this.spare = undefined;
    for (const g of this.groups.values()) for (const e of g.entries) clearTimeout(e.idle);
    this.groups.clear();
    for (const wake of this.waiting.splice(0)) wake();
    return all;
  }

  /** How many links are open or opening, over every group and the spare (for the bounds and the cost table). */
  get size(): number {
    let n = this.spare === undefined ? 0 : 1;
    for (const g of this.groups.values()) n += g.entries.length;
    return n;
  }

  private groupFor(principal: string | undefined, capabilities: Params, owner: Principal | undefined): Group {
    const key = `${principal ?? ''}\u0000${JSON.stringify(capabilities)}`;
    let group = this.groups.get(key);
    if (group === undefined) {
      group = { key, principal, owner, capabilities, entries: [] };
      this.groups.set(key, group);
    }
    return group;
  }

  /** An open link the request may use now, if there is one. */
  private pick(group: Group, exclusive: boolean): Entry | undefined {
    const open = group.entries.filter((e) => e.link?.peer.open === true);
    // A wire that names the request of each message serves every call at once.
    const relating = open.find((e) => e.link!.relatesMessages);
    if (relating !== undefined) return relating;
    if (!exclusive) return open[0] ?? group.entries[0];
    return open.find((e) => e.calls === 0);
  }

  private lend(entry: Entry, exclusive: boolean): Lease | Promise<Lease> {
    clearTimeout(entry.idle);
    entry.idle = undefined;
    const counted = exclusive && !entry.link?.relatesMessages;
    if (counted) entry.calls += 1;
    const lease = (link: Link): Lease => ({ link, release: counted ? once(() => this.giveBack(entry)) : () => undefined });
    return entry.link !== undefined ? lease(entry.link) : entry.opening.then(lease);
  }

  /** Is there room for one more link of `group`, under both bounds? */
  private room(group: Group): boolean {
    const { bridgeLinks, bridgeLinksPerPrincipal } = this.host.limits;
    // The spare is there to be taken: it makes no room scarcer.
    if (this.size - (this.spare === undefined ? 0 : 1) >= bridgeLinks) return false;
    if (group.principal === undefined) return true;
    let held = 0;
    for (const g of this.groups.values()) if (g.principal === group.principal) held += g.entries.length;
    return held < bridgeLinksPerPrincipal;
  }

  /** Closes the least useful idle link of another group to make room for `group`; false when none is idle. */
  private evict(group: Group): boolean {
    if (this.size - (this.spare === undefined ? 0 : 1) < this.host.limits.bridgeLinks) return false;
    for (const g of this.groups.values()) {
      if (g === group) continue;
      const idle = g.entries.find((e) => e.calls === 0 && e.link !== undefined && e.link.peer.tags().length === 0);
      if (idle === undefined) continue;
      this.remove(idle);
      void idle.link!.peer.close();
      return true;
    }
    return false;
  }

  private add(group: Group): Entry {
    const open = (): Promise<Link> => this.host.open(group.owner);
    // Another principal's spare is of no use here (it may carry that principal's credentials): it makes room for one of this principal's.
    if (this.spare !== undefined && this.spareFor !== principalKey(group.owner))
      void this.spare.then(
        (l) => l.peer.close(),
        () => undefined,
      );
    const raw = this.spare !== undefined && this.spareFor === principalKey(group.owner) ? this.spare : open();
    this.spare = undefined;
    const opening = raw.then((link) => (link.peer.open ? link : open())).then((link) => this.host.initialize(link, group.capabilities));
    const entry: Entry = { group, opening, link: undefined, calls: 0, idle: undefined };
    group.entries.push(entry);
    this.refill(group);
    entry.opening.then(
      (link) => {
        entry.link = link;
      },
      () => this.remove(entry),
    );
    return entry;
  }

  /** Opens the next spare while there is room for it beside the links in use. */
  private refill(group: Group): void {
    if (this.spare !== undefined || this.closed || this.size >= this.host.limits.bridgeLinks) return;
    const spare = this.host.open(group.owner);
    this.spare = spare;
    this.spareFor = principalKey(group.owner);
    // One that fails is forgotten; one that closes before use is replaced when taken (see `add`).
    spare.catch(() => {
      if (this.spare === spare) this.spare = undefined;
    });
  }

  private remove(entry: Entry): void {
    clearTimeout(entry.idle);
    const { group } = entry;
    const at = group.entries.indexOf(entry);
    if (at >= 0) group.entries.splice(at, 1);
    if (group.entries.length === 0) this.groups.delete(group.key);
    this.wakeOne();
  }

  /** Forgets links that have closed (a child that exited): the next request opens afresh. */
  private prune(group: Group): void {
    for (const e of [...group.entries]) if (e.link !== undefined && !e.link.peer.open) this.remove(e);
  }

  private giveBack(entry: Entry): void {
    entry.calls = Math.max(0, entry.calls - 1);
    if (entry.calls > 0) return;
    const spare = entry.group.entries.indexOf(entry) > 0;
    if (spare && entry.link !== undefined) {
      entry.idle = setTimeout(() => {
        if (entry.calls > 0 || entry.link === undefined || entry.link.peer.tags().length > 0) return;
        this.remove(entry);
        void entry.link.peer.close();
      }, IDLE_LINK_MS);
      entry.idle.unref?.();
    }
    this.wakeOne();
  }

  private wakeOne(): void {
    this.waiting.shift()?.();
  }

  /** Waits for a link to come free (or for room), until the deadline; then the request is refused. */
  private wait(signal: AbortSignal | undefined, deadline: number, group: Group): Promise<void> {
    const ms = deadline - Date.now();
    const limit = group.principal !== undefined && this.roomForAll() ? 'bridgeLinksPerPrincipal' : 'bridgeLinks';
    const value = this.host.limits[limit];
    const refusal = (): ProxyError => {
      this.host.limitReporter.hit(limit, value, { upstream: this.upstream });
      return new ProxyError(
        ProxyErrorCode.LimitExceeded,
        `every link the bridge may open to upstream "${this.upstream}" is busy with another call: ${limitText(limit, value)}`,
        { upstream: this.upstream, limit, value },
      );
    };
    if (ms <= 0 || signal?.aborted === true) return Promise.reject(refusal());
    return new Promise<void>((resolve, reject) => {
      const wake = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
        resolve();
      };
      const abort = (): void => {
        const at = this.waiting.indexOf(wake);
        if (at >= 0) this.waiting.splice(at, 1);
        clearTimeout(timer);
        reject(refusal());
      };
      const timer = setTimeout(abort, ms);
      signal?.addEventListener('abort', abort, { once: true });
      this.waiting.push(wake);
    });
  }

  private roomForAll(): boolean {
    return this.size < this.host.limits.bridgeLinks;
  }
}
