import { createHash } from 'node:crypto';
import {
  errorReply,
  JSONRPCErrorCode,
  throttledWarn,
  type Logger,
  type Next,
  type Params,
  type Reply,
  type RequestContext,
  type SessionInfo,
} from '@mcproxy/core';
import type { ToolSearchConfig } from './options.js';
import { ToolIndex } from './search.js';
import { toolsOf, type Tool } from './tools.js';

/** Every tool the rest of the chain lists, by name, with its search index. */
export interface Catalog {
  tools: readonly Tool[];
  byName: ReadonlyMap<string, Tool>;
  index: ToolIndex;
}

/** The 2026-07-28 caching hints of a list: how long it may be kept, and whether other clients may share it. */
export interface Hints {
  ttlMs: number;
  cacheScope: 'public' | 'private';
}

/** A session's catalog and until when it may be used; `pending` while its pages are being fetched. */
interface Held {
  pending?: Promise<Fetched | Reply>;
  fetched?: Fetched;
  expires: number;
}

interface Fetched {
  catalog: Catalog;
  hints: Hints;
}

const HELD = Symbol('tool-search.catalog');
/** Counts list_changed notifications, so a fetch that overlapped one is not kept. */
const GENERATION = Symbol('tool-search.generation');

const hintsOf = (result: Params): Hints => {
  const ttl = result.ttlMs;
  return {
    ttlMs: typeof ttl === 'number' && Number.isFinite(ttl) && ttl > 0 ? Math.floor(ttl) : 0,
    cacheScope: result.cacheScope === 'public' ? 'public' : 'private',
  };
};

const isReply = (v: Fetched | Reply): v is Reply => !('catalog' in v);

/**
 * The catalogs of the sessions a pipeline entry serves. Each session's is
 * the full `tools/list` of the rest of the chain (every page), so what it
 * holds is exactly what that session may see: filtered, renamed, merged. It
 * is fetched when first needed and again after `notifications/tools/list_changed`
 * or `maxAgeMs`; a 2026-07-28 request (whose state map is shared by every
 * modern client of a face) keeps it only when the list said it is public,
 * for no longer than its `ttlMs`. The search index is the costly part: it is
 * built once per distinct catalog, by content, and the last `indexes` ones
 * are kept, so a thousand sessions that see the same tools share one.
 */
export class Catalogs {
  private readonly built = new Map<string, Catalog>();
  private readonly tooMany: (fields: Record<string, unknown>) => void;
  private readonly tooLong: (fields: Record<string, unknown>) => void;

  constructor(
    private readonly config: ToolSearchConfig,
    log: Logger,
  ) {
    this.tooMany = throttledWarn(
      log,
      `tool-search: the tool list has more than maxTools (${config.maxTools}) tools; the rest cannot be searched or called through it`,
    );
    this.tooLong = throttledWarn(log, `tool-search: stopped following tools/list pages at maxPages (${config.maxPages})`);
  }

  /** The catalog `ctx`'s session sees, with its hints; or the error the chain answered `tools/list` with. */
  async get(ctx: RequestContext, next: Next): Promise<Fetched | Reply> {
    const state = ctx.session.state;
    const held = state.get(HELD) as Held | undefined;
    if (held?.fetched !== undefined && held.expires > Date.now()) return held.fetched;
    if (held?.pending !== undefined) return held.pending;
    const modern = ctx.client.era === 'modern';
    const generation = (state.get(GENERATION) as number | undefined) ?? 0;
    const entry: Held = { expires: 0 };
    entry.pending = this.fetch(next).then((got) => {
      // list_changed while the pages came in: what arrived may be old already, so it is used once and not kept.
      if (((state.get(GENERATION) as number | undefined) ?? 0) !== generation) return got;
      if (isReply(got) || (modern && (got.hints.cacheScope !== 'public' || got.hints.ttlMs === 0))) {
        if (state.get(HELD) === entry) state.delete(HELD);
      } else {
        state.set(HELD, { fetched: got, expires: Date.now() + Math.min(this.config.maxAgeMs, modern ? got.hints.ttlMs : Number.POSITIVE_INFINITY) });
      }
      return got;
    });
    // A modern client's catalog is not shared while it is fetched: another client's may differ.
    if (!modern) state.set(HELD, entry);
    return entry.pending;
  }

  /** The tool list changed: the session's catalog is fetched anew when next needed. */
  forget(session: SessionInfo): void {
    session.state.delete(HELD);
    session.state.set(GENERATION, ((session.state.get(GENERATION) as number | undefined) ?? 0) + 1);
  }

  private async fetch(next: Next): Promise<Fetched | Reply> {
    const { maxPages, maxTools } = this.config;
    const tools: Tool[] = [];
    const seen = new Set<string>();
    const hints: Hints[] = [];
    let cursor: unknown;
    for (let page = 0; page < maxPages; page++) {
      const reply = await next({ message: { jsonrpc: '2.0', method: 'tools/list', params: typeof cursor === 'string' ? { cursor } : {} } });
      if (reply?.result === undefined) return reply ?? errorReply(JSONRPCErrorCode.InternalError, 'tool-search: tools/list had no answer');
      hints.push(hintsOf(reply.result));
      for (const tool of toolsOf(reply.result)) {
        if (seen.has(tool.name)) continue;
        if (tools.length >= maxTools) {
          this.tooMany({ maxTools });
          return this.finish(tools, hints);
        }
        seen.add(tool.name);
        tools.push(tool);
      }
      cursor = reply.result.nextCursor;
      if (typeof cursor !== 'string') return this.finish(tools, hints);
    }
    this.tooLong({ maxPages });
    return this.finish(tools, hints);
  }

  /** The catalog of `tools`: its index is reused when the same tools were indexed before. */
  private finish(tools: Tool[], pages: Hints[]): Fetched {
    const hints: Hints = {
      ttlMs: Math.min(...pages.map((h) => h.ttlMs)),
      cacheScope: pages.every((h) => h.cacheScope === 'public') ? 'public' : 'private',
    };
    const key = createHash('sha256').update(JSON.stringify(tools)).digest('base64url');
    let catalog = this.built.get(key);
    if (catalog !== undefined) this.built.delete(key);
    else catalog = { tools, byName: new Map(tools.map((t) => [t.name, t])), index: new ToolIndex(tools) };
    this.built.set(key, catalog);
    if (this.built.size > this.config.indexes) this.built.delete(this.built.keys().next().value as string);
    return { catalog, hints };
  }
}
