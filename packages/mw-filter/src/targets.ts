import type { NotFoundKind, Params } from '@mcproxy/core';
import type { ListShape } from '@mcproxy/names';
import type { FilterKind } from './options.js';

/** What a request uses: the kind, its name or URI, and how to say it does not exist. */
export interface Target {
  kind: FilterKind;
  value: string;
  missing: NotFoundKind;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const by = (kind: FilterKind, missing: NotFoundKind, value: unknown): Target | undefined => {
  const s = str(value);
  return s === undefined ? undefined : { kind, value: s, missing };
};

/**
 * The one thing a request names, if it is one the filter governs. A request
 * whose name is missing or not a string is left to the upstream to refuse.
 * A completion's `ref/resource` names a URI template (completion fills in a
 * template's variables), so it is judged by the resourceTemplates rules.
 */
export function targetOf(method: string, params: Params | undefined): Target | undefined {
  switch (method) {
    case 'tools/call':
      return by('tools', 'tool', params?.name);
    case 'prompts/get':
      return by('prompts', 'prompt', params?.name);
    case 'resources/read':
    case 'resources/subscribe':
    case 'resources/unsubscribe':
      return by('resources', 'resource', params?.uri);
    case 'completion/complete': {
      const ref = params?.ref as Params | undefined;
      if (ref?.type === 'ref/prompt') return by('prompts', 'prompt', ref.name);
      if (ref?.type === 'ref/resource') return by('resourceTemplates', 'resource template', ref.uri);
      return undefined;
    }
    default:
      return undefined;
  }
}

/** Keeps the items of a list result that `keep` allows; everything else in the result (nextCursor, _meta) stays. */
export function filterList(result: Params, spec: ListShape, keep: (value: string) => boolean): Params {
  const items = result[spec.field];
  if (!Array.isArray(items)) return result;
  const kept = items.filter((item: unknown) => {
    const value = typeof item === 'object' && item !== null ? (item as Params)[spec.key] : undefined;
    // An item without a usable name cannot be matched; only a filter with no allow list lets it by.
    return keep(typeof value === 'string' ? value : '');
  });
  return { ...result, [spec.field]: kept };
}
