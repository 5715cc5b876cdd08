import type { Logger, Middleware, Proxy } from '@mcproxy/core';

const LIST_CHANGED = new Set(['notifications/tools/list_changed', 'notifications/prompts/list_changed', 'notifications/resources/list_changed']);

/** One shared link's notification walks the chain once per session: the news of one upstream and list goes out once in this long. */
const COALESCE_MS = 250;

/** What the relay needs of the store: pub/sub (store-redis's `news`). */
export interface NewsChannel {
  publish(channel: string, text: string): Promise<void>;
  subscribe(channel: string, listener: (text: string) => void): () => void;
}

/**
 * List changes heard on one replica, told on every other. A 2026-07-28
 * client listens (`subscriptions/listen`) on whichever replica its request
 * landed on, and that replica's links are not the ones whose upstream
 * changed (a stdio child of another replica, a reload there): so each
 * replica publishes the list_changed notifications its upstreams send, once
 * per upstream and list within `COALESCE_MS`, and announces what the others
 * publish to its own clients, through the chain as if its own link had said
 * it (so an aggregate drops what it kept, and each listen's filter applies).
 * At worst a client lists again for nothing; never a list it should not see.
 * One relay per route (`channel` names it).
 */
export class ListRelay {
  private proxy: Proxy | undefined;
  /** Above 0 while announcing what another replica said: that is not news to pass on again. */
  private relaying = 0;
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private unsubscribe: (() => void) | undefined;

  /** Last in the route's chain (nearest the upstreams), where a notification still carries its upstream's own name. */
  readonly middleware: Middleware;

  constructor(
    private readonly news: NewsChannel,
    private readonly channel: string,
    private readonly replicaId: string,
    private readonly log: Logger,
  ) {
    const relay = this;
    this.middleware = async function relayListChanges(ctx, next) {
      if (ctx.kind === 'notification' && ctx.direction === 'downstream') relay.saw(ctx.upstream, ctx.message.method);
      return next();
    };
  }

  /** The route's proxy, to announce to; subscribes once. */
  attach(proxy: Proxy): void {
    this.proxy = proxy;
    this.unsubscribe ??= this.news.subscribe(this.channel, (text) => this.heard(text));
  }

  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }

  /** Called by the middleware for each notification toward a client. */
  saw(upstream: string | undefined, method: string): void {
    if (upstream === undefined || this.relaying > 0 || !LIST_CHANGED.has(method)) return;
    const key = `${upstream}\n${method}`;
    if (this.pending.has(key)) return;
    const timer = setTimeout(() => {
      this.pending.delete(key);
      this.news.publish(this.channel, JSON.stringify({ v: 1, from: this.replicaId, upstream, method })).catch((err: unknown) => {
        this.log.debug({ err: (err as Error).message, upstream, method }, 'a list change was not told to the other replicas');
      });
    }, COALESCE_MS);
    timer.unref();
    this.pending.set(key, timer);
  }

  private heard(text: string): void {
    let news: { v?: unknown; from?: unknown; upstream?: unknown; method?: unknown };
    try {
      news = JSON.parse(text) as typeof news;
    } catch {
      return;
    }
    const { v, from, upstream, method } = news ?? {};
    this.log.debug({ text }, 'list news heard');
    if (v !== 1 || from === this.replicaId || typeof upstream !== 'string' || typeof method !== 'string' || !LIST_CHANGED.has(method)) return;
    const proxy = this.proxy;
    if (proxy === undefined || !proxy.names.includes(upstream)) return;
    this.relaying++;
    proxy
      .announce(upstream, [method])
      .catch((err: unknown) => this.log.warn({ err, upstream, method }, 'a list change another replica heard was not passed on'))
      .finally(() => {
        this.relaying--;
      });
  }
}
