import { notFound, type NotFoundKind, type Params, type Reply, type SessionInfo } from '@mcproxy/core';
import { deniedByGuards, hasGuards, templatePattern, type ListKind } from '@mcproxy/names';
import { KINDS, type Item, type Kind, type View } from './names.js';

/**
 * Filters placed before aggregate leave their deny rules on the session
 * (core's guards); aggregate asks them about the spelling it really sends,
 * the upstream's own name or URI, so a rule on `echo` or `file:///etc/**`
 * also holds for `a__echo` and for `mcproxy://a/file%3A%2F%2F%2Fetc%2Fpasswd`.
 */
const denied = (session: SessionInfo, kind: ListKind, value: unknown, upstream: string): boolean =>
  typeof value === 'string' && deniedByGuards(session, kind, value, upstream);

/** What a routed request names, as the upstream knows it, and how to say it does not exist. */
function named(method: string, params: Params): { kind: ListKind; missing: NotFoundKind; value: unknown } | undefined {
  switch (method) {
    case 'tools/call':
      return { kind: 'tools', missing: 'tool', value: params.name };
    case 'prompts/get':
      return { kind: 'prompts', missing: 'prompt', value: params.name };
    case 'resources/read':
    case 'resources/subscribe':
    case 'resources/unsubscribe':
      return { kind: 'resources', missing: 'resource', value: params.uri };
    case 'completion/complete': {
      const ref = params.ref as Params | undefined;
      if (ref?.type === 'ref/prompt') return { kind: 'prompts', missing: 'prompt', value: ref.name };
      if (ref?.type === 'ref/resource') return { kind: 'resourceTemplates', missing: 'resource template', value: ref.uri };
      return undefined;
    }
    default:
      return undefined;
  }
}

/**
 * The "not found" answer, in the client's spelling, when a guard denies the
 * item a routed request reaches (`routed`: its params as `upstream` knows them).
 */
export function refusedByGuards(session: SessionInfo, method: string, asked: Params, upstream: string, routed: Params): Reply | undefined {
  const real = named(method, routed);
  if (real === undefined || !denied(session, real.kind, real.value, upstream)) return undefined;
  return notFound(real.missing, String(named(method, asked)?.value));
}

/** The items of a merged view that no guard denies under their upstream's own name. */
export function unguarded(session: SessionInfo, kind: Kind, view: View): Item[] | undefined {
  if (!hasGuards(session)) return undefined;
  const key = KINDS[kind].key;
  return view.items.filter((item) => {
    const route = view.routes.get(item[key] as string);
    return route === undefined || !denied(session, kind, route.original, route.upstream);
  });
}

/**
 * A URI that expands a denied template is that template's item: refused
 * like it, whichever upstream's template it is (templates are not
 * prefixed, so the most careful answer is the right one).
 */
export function expandsDenied(session: SessionInfo, templates: View, uri: unknown): boolean {
  if (typeof uri !== 'string') return false;
  for (const route of templates.routes.values()) {
    if (denied(session, 'resourceTemplates', route.original, route.upstream) && templatePattern(route.original).test(uri)) return true;
  }
  return false;
}
