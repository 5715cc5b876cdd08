import type { Middleware, Params } from '@mcproxy/core';
import { aggregate } from '@mcproxy/mw-aggregate';
import { fromFactory, testMiddleware, type Kit } from '@mcproxy/test-kit';
import toolSearch, { type ToolSearchOptions } from '../src/index.js';
import { catalog, QUERIES } from './catalog.mjs';
import type { LabelledQuery } from './catalog.mjs';

/** The 20 × 50 catalog behind aggregate, with `front` before it: a kit to drive it. */
export async function catalogKit(front: Middleware[] = [], era: 'legacy' | 'modern' = 'legacy'): Promise<Kit> {
  const upstreams = Object.fromEntries(Object.entries(catalog()).map(([name, tools]) => [name, { tools }]));
  return testMiddleware([...front, await fromFactory(aggregate)], { upstreams, era });
}

export const searchMiddleware = (options: ToolSearchOptions = {}): Promise<Middleware> => fromFactory(toolSearch, options);

/** Bytes of the `tools/list` result a client gets, as JSON, and its tool count. */
export async function listSize(kit: Kit): Promise<{ tools: number; bytes: number }> {
  const reply = await kit.call('tools/list');
  if (reply.result === undefined) throw new Error(`tools/list failed: ${JSON.stringify(reply.error)}`);
  return { tools: (reply.result.tools as unknown[]).length, bytes: Buffer.byteLength(JSON.stringify(reply.result)) };
}

/** Where the first right answer to a query came in the search results (1-based), or undefined if not in the first `depth`. */
export async function rankOf(kit: Kit, q: LabelledQuery, depth: number): Promise<number | undefined> {
  const reply = await kit.callTool('search_tools', { query: q.query, limit: depth });
  const results = ((reply.result?.structuredContent as Params | undefined)?.results ?? []) as Array<{ name: string }>;
  // An aggregated name is `<upstream>__<tool>` when the tool's name collides, its own name when it does not.
  const right = new Set(q.tools.flatMap((t) => [t, `${q.upstream}__${t}`]));
  const at = results.findIndex((r) => right.has(r.name));
  return at === -1 ? undefined : at + 1;
}

export interface Quality {
  queries: number;
  top1: number;
  top3: number;
  misses: Array<{ query: string; rank: number | undefined }>;
}

/** Top-1 and top-3 hit rates of the labelled queries, and the queries that missed the top 1. */
export async function quality(kit: Kit, queries: readonly LabelledQuery[] = QUERIES): Promise<Quality> {
  const misses: Quality['misses'] = [];
  let top1 = 0;
  let top3 = 0;
  for (const q of queries) {
    const rank = await rankOf(kit, q, 10);
    if (rank === 1) top1++;
    if (rank !== undefined && rank <= 3) top3++;
    if (rank !== 1) misses.push({ query: q.query, rank });
  }
  return { queries: queries.length, top1: top1 / queries.length, top3: top3 / queries.length, misses };
}

/**
 * What a search without ranking finds, for comparison: tools ordered by how
 * many of the query's words appear anywhere in their name or description
 * (case ignored), ties in list order. The floor any real ranking must beat.
 */
export async function naiveQuality(kit: Kit, queries: readonly LabelledQuery[] = QUERIES): Promise<Pick<Quality, 'top1' | 'top3'>> {
  const reply = await kit.call('tools/list');
  const tools = (reply.result?.tools ?? []) as Array<{ name: string; description?: string }>;
  let top1 = 0;
  let top3 = 0;
  for (const q of queries) {
    const qWords = q.query.toLowerCase().split(/\W+/).filter(Boolean);
    const scored = tools.map((t, i) => {
      const hay = `${t.name} ${t.description ?? ''}`.toLowerCase();
      return { name: t.name, i, score: qWords.filter((w) => hay.includes(w)).length };
    });
    scored.sort((a, b) => b.score - a.score || a.i - b.i);
    const right = new Set(q.tools.flatMap((t) => [t, `${q.upstream}__${t}`]));
    const at = scored.findIndex((s) => right.has(s.name));
    if (at === 0) top1++;
    if (at >= 0 && at < 3) top3++;
  }
  return { top1: top1 / queries.length, top3: top3 / queries.length };
}
