import type { Params } from '@mcproxy/core';
import { aliasTemplate, aliasUri, MCP_LISTS } from '@mcproxy/names';
import type { Options } from '../options.js';

/** The four lists a proxy merges: their shapes (from core), and the capability each needs. */
export const KINDS = {
  tools: { ...MCP_LISTS.tools, capability: 'tools' },
  prompts: { ...MCP_LISTS.prompts, capability: 'prompts' },
  resources: { ...MCP_LISTS.resources, capability: 'resources' },
  resourceTemplates: { ...MCP_LISTS.resourceTemplates, capability: 'resources' },
} as const;

export type Kind = keyof typeof KINDS;
export type Item = Params;

/** Where an exposed name really lives. */
export interface Route {
  upstream: string;
  original: string;
}

/**
 * One upstream's part of a merged list: its items, and whether it is up.
 * The part of an upstream that is down is its last known list: it still
 * decides which names collide and where a name routes (so a call fails as
 * unavailable, not as missing), but its items are not listed.
 */
export type Part = readonly [upstream: string, items: Item[], live?: boolean];

/** One merged list for one session: what the client sees, and the way back. */
export interface View {
  /** The items of the upstreams that are up. */
  items: Item[];
  /** exposed name (or URI) → owner and original, for every known upstream, up or down. */
  routes: Map<string, Route>;
  /** `${upstream}\n${original}` → exposed, to map what upstreams say back. */
  exposed: Map<string, string>;
}

const key = (upstream: string, original: string): string => `${upstream}\n${original}`;

/** The exposed name of `original` from `upstream`, when it is prefixed. */
export function prefixed(upstream: string, original: string, separator: string): string {
  // The upstream's config key may hold characters a tool name may not.
  return `${upstream.replace(/[^A-Za-z0-9_.-]/g, '_')}${separator}${original}`;
}

/** Two upstreams offer the same name and the policy forbids prefixing. */
export class Collision extends Error {
  constructor(
    readonly kind: Kind,
    readonly item: string,
    readonly upstreams: readonly string[],
  ) {
    super(
      `${kind === 'tools' ? 'tool' : 'prompt'} "${item}" is offered by both "${upstreams[0]}" and "${upstreams[1]}"; ` +
        'with prefix: never, names must not collide (set prefix to collision or always, or rename one with mw-rename)',
    );
    this.name = 'Collision';
  }
}

/**
 * What makes two items the same name for a client. Two templates collide
 * when they expand to the same URIs, whatever their variables are called
 * (`file:///{path}` and `file:///{name}`).
 */
const sameAs = (kind: Kind, name: string): string => (kind === 'resourceTemplates' ? name.replace(/\{([+#./;?&]?)[^}]*\}/g, '{$1}') : name);

/**
 * Merges the upstreams' lists of one kind, in configuration order. Tool and
 * prompt names are prefixed as the policy says; resource URIs and templates
 * that collide are rewritten reversibly (`ui://` ones within `ui://`), so
 * each stays reachable. Names are decided from every part, up or down, so
 * they do not change when an upstream goes down.
 */
export function merge(kind: Kind, parts: ReadonlyArray<Part>, options: Pick<Options, 'prefix' | 'separator'>): View {
  const field = KINDS[kind].key;
  const owners = new Map<string, string[]>();
  for (const [upstream, items] of parts) {
    for (const item of items) {
      const name = item[field];
      if (typeof name !== 'string') continue;
      const same = sameAs(kind, name);
      const list = owners.get(same) ?? [];
      if (!list.includes(upstream)) list.push(upstream);
      owners.set(same, list);
    }
  }
  const view: View = { items: [], routes: new Map(), exposed: new Map() };
  for (const [upstream, items, live = true] of parts) {
    for (const item of items) {
      const original = item[field];
      if (typeof original !== 'string') continue;
      const sharers = owners.get(sameAs(kind, original)) ?? [];
      const name = exposedName(kind, upstream, original, sharers.length > 1, sharers, options);
      // A prefixed name that happens to equal another upstream's own name: the first keeps it.
      if (view.routes.has(name)) continue;
      view.routes.set(name, { upstream, original });
      view.exposed.set(key(upstream, original), name);
      if (live) view.items.push(name === original ? item : { ...item, [field]: name });
    }
  }
  return view;
}

function exposedName(
  kind: Kind,
  upstream: string,
  original: string,
  shared: boolean,
  owners: string[],
  options: Pick<Options, 'prefix' | 'separator'>,
): string {
  if (kind === 'resourceTemplates') return shared ? aliasTemplate(upstream, original) : original;
  if (kind === 'resources') return shared ? aliasUri(upstream, original) : original;
  if (options.prefix === 'always') return prefixed(upstream, original, options.separator);
  if (!shared) return original;
  if (options.prefix === 'never') throw new Collision(kind, original, owners);
  return prefixed(upstream, original, options.separator);
}

/** The exposed name of an upstream's own name, if the view knows it. */
export function exposedOf(view: View, upstream: string, original: string): string | undefined {
  return view.exposed.get(key(upstream, original));
}
