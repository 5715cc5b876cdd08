import { shareJson, type Context, type Next, type Params } from '@mcproxy/core';
import { ask } from './fan-out.js';
import type { Health } from './health.js';
import { KINDS, merge, type Item, type Kind, type Part, type View } from './names.js';
import type { Options } from './options.js';

/** An upstream's list kept in a session, with how often the upstream had failed when it was fetched. */
interface Kept {
  items: Item[];
  failures: number;
}

/** Most pages we follow in one upstream list: a server whose cursors never end must not hang us. */
const MAX_PAGES = 100;

/** What one list fetch found: the merged view and which upstreams were left out. */
export interface Found {
  view: View;
  missing: string[];
}

/**
 * The last whole list each upstream gave, by `${kind}\n${upstream}`,
 * proxy-wide. Names are decided from it, not from who is up right now, so
 * `a__echo` stays `a__echo` while `b` (which also has `echo`) is down, in
 * every session, also one that opened while `b` was down; and a call to one
 * of `b`'s names still finds `b` and fails as unavailable.
 */
export type KnownLists = Map<string, Item[]>;

/**
 * One session's picture of its upstreams: what each said it can do, their
 * lists, and the merged views built from them. An upstream's list is kept
 * only if that upstream promises `listChanged` (so we hear when it goes
 * stale); a merged view whose parts are all kept is answered from memory.
 */
export class SessionLists {
  /** Capabilities from each upstream's `initialize`; absent: unknown, so asked anyway. */
  readonly capabilities = new Map<string, Params>();
  private readonly parts = new Map<Kind, Map<string, Kept>>();
  private readonly generations = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<Item[] | string>>();
  private readonly views = new Map<Kind, View>();
  /** Kinds whose view is complete and kept, with the health epoch it was built at. */
  private readonly fresh = new Map<Kind, number>();
  /** The whole-list answer built from each view, sent as is while the view lasts. */
  private readonly answers = new WeakMap<View, Params>();

  constructor(private readonly options: Options, private readonly health: Health, private readonly known: KnownLists = new Map()) {}

  /**
   * The result that lists every item of `view`, made once per view and
   * marked so transports stringify it once: a kept list costs a lookup.
   */
  whole(view: View, field: string): Params {
    let result = this.answers.get(view);
    if (result === undefined) {
      result = shareJson({ [field]: view.items });
      this.answers.set(view, result);
    }
    return result;
  }

  /** The last merged view of `kind`, fresh or not; never asks anyone. */
  last(kind: Kind): View | undefined {
    return this.views.get(kind);
  }

  /** Does `upstream` offer `kind`? Unknown upstreams might. */
  offers(upstream: string, kind: Kind): boolean {
    const caps = this.capabilities.get(upstream);
    return caps === undefined || caps[KINDS[kind].capability] !== undefined;
  }

  /** An upstream said its list changed: forget it, and the merged view built on it. */
  invalidate(upstream: string, kind: Kind): void {
    this.parts.get(kind)?.delete(upstream);
    const k = `${kind}\n${upstream}`;
    this.generations.set(k, (this.generations.get(k) ?? 0) + 1);
    this.fresh.delete(kind);
  }

  /**
   * The merged view of `kind`: from memory when fresh (every part kept, and
   * nobody went down or came back since), else asking the upstreams that may
   * have changed. An upstream that is down is left out of the items, its
   * kept list is dropped (a restarted server may list other things, and will
   * not say so), and its last known list still names and routes.
   */
  async view(ctx: Context, next: Next, kind: Kind): Promise<Found> {
    const last = this.views.get(kind);
    const epoch = this.health.epoch;
    if (last !== undefined && this.fresh.get(kind) === epoch) return { view: last, missing: [] };
    const missing: string[] = [];
    let complete = true;
    const targets = ctx.upstreams.filter((u) => this.offers(u, kind));
    const parts = await Promise.all(targets.map(async (upstream): Promise<Part | undefined> => {
      const why = this.health.skip(upstream);
      const kept = this.parts.get(kind)?.get(upstream);
      // A restarted server may list other things and will not say so: what was kept before a failure is dropped.
      if (kept !== undefined && (why !== undefined || kept.failures !== this.health.failuresOf(upstream))) this.invalidate(upstream, kind);
      else if (kept !== undefined) return [upstream, kept.items];
      const got = why ?? await this.fetch(ctx, next, kind, upstream);
      if (typeof got === 'string') {
        missing.push(upstream);
        complete = false;
        ctx.log.warn({ upstream, method: KINDS[kind].method, reason: got }, 'list answered without this upstream');
        const before = this.known.get(`${kind}\n${upstream}`);
        return before === undefined ? undefined : [upstream, before, false];
      }
      this.known.set(`${kind}\n${upstream}`, got);
      if (!this.keeps(upstream, kind)) complete = false;
      return [upstream, got];
    }));
    const view = merge(kind, parts.filter((p) => p !== undefined), this.options);
    this.views.set(kind, view);
    if (complete) this.fresh.set(kind, epoch);
    return { view, missing };
  }

  private keeps(upstream: string, kind: Kind): boolean {
    const cap = this.capabilities.get(upstream)?.[KINDS[kind].capability] as Params | undefined;
    return cap?.listChanged === true;
  }

  /** One upstream's whole list (all pages), shared by concurrent askers; a string says why it failed. */
  private fetch(ctx: Context, next: Next, kind: Kind, upstream: string): Promise<Item[] | string> {
    const k = `${kind}\n${upstream}`;
    const running = this.inflight.get(k);
    if (running !== undefined) return running;
    const generation = this.generations.get(k) ?? 0;
    const failures = this.health.failuresOf(upstream);
    const work = this.fetchPages(ctx, next, kind, upstream).then((got) => {
      if (typeof got !== 'string' && this.keeps(upstream, kind) && (this.generations.get(k) ?? 0) === generation) {
        const byUpstream = this.parts.get(kind) ?? new Map<string, Kept>();
        byUpstream.set(upstream, { items: got, failures });
        this.parts.set(kind, byUpstream);
      }
      return got;
    }).finally(() => this.inflight.delete(k));
    this.inflight.set(k, work);
    return work;
  }

  private async fetchPages(ctx: Context, next: Next, kind: Kind, upstream: string): Promise<Item[] | string> {
    const { method, field } = KINDS[kind];
    const items: Item[] = [];
    let cursor: unknown;
    for (let page = 0; page < MAX_PAGES; page++) {
      const params: Params = cursor === undefined ? {} : { cursor };
      const reply = await ask(ctx, next, upstream, { jsonrpc: '2.0', method, params }, this.options.timeoutMs);
      this.health.observe(upstream, reply);
      if (reply.error !== undefined) {
        // A server without this list is simply empty here.
        return reply.error.code === -32601 ? items : reply.error.message;
      }
      const got = reply.result[field];
      if (Array.isArray(got)) items.push(...(got.filter((i) => typeof i === 'object' && i !== null) as Item[]));
      cursor = reply.result.nextCursor;
      if (typeof cursor !== 'string') return items;
    }
    ctx.log.warn({ upstream, method, pages: MAX_PAGES }, 'stopped following pages');
    return items;
  }
}
