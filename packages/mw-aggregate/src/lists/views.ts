import { ProxyErrorCode, shareJson, type Context, type Era, type Next, type Params, type Reply } from '@mcproxy/core';
import { Discoveries } from '../upstreams/discoveries.js';
import { ask } from '../upstreams/fan-out.js';
import type { Health } from '../upstreams/health.js';
import { hintsOf, NO_HINTS, strictest, type Hints } from '../upstreams/hints.js';
import { exposeUri, hasApp, withAppUri, type UriViews } from './links.js';
import { SignIns } from './sign-in.js';
import { startingReply } from './starting.js';
import { Spellings } from './spellings.js';
import { KINDS, merge, type Item, type Kind, type Part, type View } from './names.js';
import type { Options } from '../options.js';

/** One upstream's whole list, its caching hints, and until when it is kept (0: not kept). */
interface Got {
  items: Item[];
  hints: Hints;
  until: number;
}

/** An upstream's list kept in a session, with how often the upstream had failed when it was fetched. */
interface Kept extends Got {
  failures: number;
}

/** Most pages we follow in one upstream list: a server whose cursors never end must not hang us. */
const MAX_PAGES = 100;

/** What one list fetch found: the merged view, which upstreams were left out, and the hints for it. */
export interface Found {
  view: View;
  missing: string[];
  /** For modern clients: no fresher and no more public than any part (a part left out is stale and private). */
  hints: Hints;
}

/** A complete merged view kept: the health epoch it was built at, until when its parts are kept, and its scope. */
interface Fresh {
  epoch: number;
  until: number;
  cacheScope: Hints['cacheScope'];
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
 * lists, and the merged views built from them; a merged view whose parts
 * are all kept is answered from memory. A legacy session keeps an
 * upstream's list only if that upstream promises `listChanged` (so it hears
 * when it goes stale). Modern requests share one of these per face and hear
 * no list_changed unless they listen, so for them a part is kept only while
 * its own `ttlMs` lasts, and only when it is public (the shared state serves
 * every modern client of the face).
 */
export class SessionLists {
  /** Capabilities from each upstream's `initialize` (modern: `server/discover`); absent: unknown, so asked anyway. */
  readonly capabilities = new Map<string, Params>();
  /** Modern only: where capabilities come from when there is no `initialize`. */
  readonly discoveries: Discoveries | undefined;
  /** How open listens named the upstream URIs they subscribed to. */
  readonly spellings = new Spellings();
  /** Upstreams each principal must sign in to before they list anything (see `SignIns`). */
  readonly signIns = new SignIns();
  private readonly parts = new Map<Kind, Map<string, Kept>>();
  private readonly generations = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<Got | string>>();
  private readonly views = new Map<Kind, View>();
  /** Kinds whose view is complete and kept. */
  private readonly fresh = new Map<Kind, Fresh>();
  /** The whole-list answer built from each view, sent as is while the view lasts. */
  private readonly answers = new WeakMap<View, Params>();

  private readonly modern: boolean;

  constructor(
    private readonly options: Options,
    private readonly health: Health,
    private readonly known: KnownLists = new Map(),
    era: Era = 'legacy',
  ) {
    this.modern = era === 'modern';
    this.discoveries = this.modern ? new Discoveries(this.capabilities, options.timeoutMs, health) : undefined;
  }

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

  /** For a name no list has: the answer naming an upstream still starting whose list this session never got, if any (see `startingReply`). */
  starting(ctx: Context, kind: Kind, label: 'tool' | 'prompt', name: string): Reply | undefined {
    return startingReply(label, kind, name, ctx.upstreams, this.health, (k, u) => this.known.has(`${k}\n${u}`), this.options);
  }

  /** The last merged view of `kind`, fresh or not; never asks anyone. */
  last(kind: Kind): View | undefined {
    return this.views.get(kind);
  }

  /**
   * What routing a URI needs: the merged resources and templates (fetched
   * when stale), and who has resources. `cheap`: the last views when there
   * are any, for naming links in an answer: that must not wait on other
   * upstreams' lists, and an alias reaches its upstream whatever the lists say.
   */
  async uriViews(ctx: Context, next: Next, cheap = false): Promise<UriViews> {
    const get = async (kind: 'resources' | 'resourceTemplates'): Promise<View> =>
      (cheap ? this.views.get(kind) : undefined) ?? (await this.view(ctx, next, kind)).view;
    const [resources, templates] = await Promise.all([get('resources'), get('resourceTemplates')]);
    return { resources, templates, upstreams: ctx.upstreams, offers: (u) => this.offers(u, 'resources') };
  }

  /** The URI views as they are kept now, asking nobody (for what an upstream sends, which has no way to ask). */
  keptUriViews(upstreams: readonly string[]): UriViews {
    return { resources: this.views.get('resources'), templates: this.views.get('resourceTemplates'), upstreams, offers: (u) => this.offers(u, 'resources') };
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
    // App tools name resources: their URIs are worked out again from the new resource lists.
    if (kind !== 'tools' && kind !== 'prompts') this.fresh.delete('tools');
  }

  /**
   * The merged view of `kind`: from memory when fresh (every part kept, and
   * nobody went down or came back since), else asking the upstreams that may
   * have changed. An upstream that is down is left out of the items, its
   * kept list is dropped (a restarted server may list other things, and will
   * not say so), and its last known list still names and routes.
   */
  async view(ctx: Context, next: Next, kind: Kind): Promise<Found> {
    await this.discoveries?.refresh(ctx, next);
    const last = this.views.get(kind);
    const epoch = this.health.epoch;
    const now = Date.now();
    const fresh = this.fresh.get(kind);
    if (last !== undefined && fresh !== undefined && fresh.epoch === epoch && now < fresh.until) {
      return { view: last, missing: [], hints: { ttlMs: Number.isFinite(fresh.until) ? fresh.until - now : 0, cacheScope: fresh.cacheScope } };
    }
    const missing: string[] = [];
    const hints: Hints[] = [];
    let until = Infinity;
    const targets = ctx.upstreams.filter((u) => this.offers(u, kind));
    const parts = await Promise.all(
      targets.map(async (upstream): Promise<Part | undefined> => {
        // One still starting is waited for (bounded by startupTimeoutMs) even while backed off after a timed-out initialize.
        const why = this.health.mayWaitForStart(upstream) ? undefined : this.health.skip(upstream);
        const kept = this.parts.get(kind)?.get(upstream);
        // A restarted server may list other things and will not say so: what was kept before a failure is dropped.
        if (kept !== undefined && (why !== undefined || kept.failures !== this.health.failuresOf(upstream) || now >= kept.until))
          this.invalidate(upstream, kind);
        else if (kept !== undefined) {
          until = Math.min(until, kept.until);
          hints.push({ ...kept.hints, ttlMs: Math.min(kept.hints.ttlMs, Number.isFinite(kept.until) ? kept.until - now : Infinity) });
          return [upstream, kept.items];
        }
        const got = why ?? (await this.fetch(ctx, next, kind, upstream));
        if (typeof got === 'string') {
          missing.push(upstream);
          until = 0;
          hints.push(NO_HINTS);
          ctx.log.warn({ upstream, method: KINDS[kind].method, reason: got }, 'list answered without this upstream');
          const before = this.known.get(`${kind}\n${upstream}`);
          return before === undefined ? undefined : [upstream, before, false];
        }
        this.known.set(`${kind}\n${upstream}`, got.items);
        until = Math.min(until, got.until);
        hints.push(got.hints);
        return [upstream, got.items];
      }),
    );
    const view = merge(
      kind,
      parts.filter((p) => p !== undefined),
      this.options,
    );
    // An MCP App's tool must name its resource as the merged resources list does.
    if (kind === 'tools' && view.items.some(hasApp)) await this.exposeApps(ctx, next, view);
    this.views.set(kind, view);
    const merged = strictest(hints);
    // A modern view of nobody's list lasts no longer than what discovery said of who has one.
    if (this.modern && targets.length === 0) until = 0;
    if (until > now) this.fresh.set(kind, { epoch, until, cacheScope: merged.cacheScope });
    return { view, missing, hints: merged };
  }

  /** Each app tool's `ui://` resource URI as the client reaches it (rewritten within `ui://` when it collides). */
  private async exposeApps(ctx: Context, next: Next, view: View): Promise<void> {
    const uris = await this.uriViews(ctx, next);
    view.items = view.items.map((tool) => {
      const route = view.routes.get(tool.name as string);
      return route === undefined || !hasApp(tool) ? tool : withAppUri(tool, (uri) => exposeUri(route.upstream, uri, uris));
    });
  }

  /** Until when a part just fetched may be kept: legacy while the upstream promises list_changed, modern while its public ttl lasts. */
  private keptUntil(upstream: string, kind: Kind, hints: Hints, now: number): number {
    if (this.modern) return hints.cacheScope === 'public' && hints.ttlMs > 0 ? now + hints.ttlMs : 0;
    const cap = this.capabilities.get(upstream)?.[KINDS[kind].capability] as Params | undefined;
    return cap?.listChanged === true ? Infinity : 0;
  }

  /** One upstream's whole list (all pages), shared by concurrent askers; a string says why it failed. */
  private fetch(ctx: Context, next: Next, kind: Kind, upstream: string): Promise<Got | string> {
    const k = `${kind}\n${upstream}`;
    const running = this.inflight.get(k);
    if (running !== undefined) return running;
    const generation = this.generations.get(k) ?? 0;
    const failures = this.health.failuresOf(upstream);
    const work = this.fetchPages(ctx, next, kind, upstream)
      .then((got): Got | string => {
        if (typeof got === 'string') return got;
        const kept: Got = { ...got, until: this.keptUntil(upstream, kind, got.hints, Date.now()) };
        if (kept.until > 0 && (this.generations.get(k) ?? 0) === generation) {
          const byUpstream = this.parts.get(kind) ?? new Map<string, Kept>();
          byUpstream.set(upstream, { ...kept, failures });
          this.parts.set(kind, byUpstream);
        }
        return kept;
      })
      .finally(() => this.inflight.delete(k));
    this.inflight.set(k, work);
    return work;
  }

  private async fetchPages(ctx: Context, next: Next, kind: Kind, upstream: string): Promise<Omit<Got, 'until'> | string> {
    const { method, field } = KINDS[kind];
    const items: Item[] = [];
    // Each page has its own hints; the whole list is as fresh and as public as its strictest page.
    const hints: Hints[] = [];
    let cursor: unknown;
    for (let page = 0; page < MAX_PAGES; page++) {
      const params: Params = cursor === undefined ? {} : { cursor };
      // An upstream that has never answered may still be starting (npx's first download): a list waits longer for it, once.
      const starting = this.health.mayWaitForStart(upstream);
      const reply = await ask(ctx, next, upstream, { jsonrpc: '2.0', method, params }, starting ? this.options.startupTimeoutMs : this.options.timeoutMs);
      if (starting && reply.error?.code === ProxyErrorCode.RequestTimeout) this.health.startupWaitRanOut(upstream);
      this.health.observe(upstream, reply);
      this.signIns.note(ctx, upstream, reply);
      if (reply.error !== undefined) {
        // A server without this list is simply empty here.
        return reply.error.code === -32601 ? { items, hints: strictest(hints) } : reply.error.message;
      }
      hints.push(hintsOf(reply.result));
      const got = reply.result[field];
      if (Array.isArray(got)) items.push(...(got.filter((i) => typeof i === 'object' && i !== null) as Item[]));
      cursor = reply.result.nextCursor;
      if (typeof cursor !== 'string') return { items, hints: strictest(hints) };
    }
    ctx.log.warn({ upstream, method, pages: MAX_PAGES }, 'stopped following pages');
    return { items, hints: strictest(hints) };
  }
}
