import { isObject, type Params } from '@mcproxy/core';
import { mayHold } from '@mcproxy/large-json';
import { parseAlias, aliasUri, templatePattern } from '@mcproxy/names';
import { exposedOf, type View } from './names.js';

/** Gives the URI a client should use for one an upstream named, or undefined to keep it. */
export type UriMap = (uri: string) => string | undefined;

/** A content block's URI: a `resource_link`'s, or an embedded `resource`'s. */
function block(content: unknown, map: UriMap): unknown {
  if (!isObject(content)) return content;
  if (content.type === 'resource_link' && typeof content.uri === 'string') {
    const uri = map(content.uri);
    return uri === undefined ? content : { ...content, uri };
  }
  if (content.type === 'resource' && isObject(content.resource) && typeof content.resource.uri === 'string') {
    const uri = map(content.resource.uri);
    return uri === undefined ? content : { ...content, resource: { ...content.resource, uri } };
  }
  return content;
}

const blocks = (list: unknown, map: UriMap): unknown => (Array.isArray(list) ? list.map((c) => block(c, map)) : list);

/**
 * A tool result's content, and the MCP App view its `_meta` names (a host
 * renders that one): both must be URIs the client can read back. Also the
 * result a task finished with.
 */
function toolResult(result: Params, map: UriMap): Params {
  // Content of many megabytes still as its bytes is only parsed when a link could be in it.
  const linked = Array.isArray(result.content) && mayHold(result.content, '"resource');
  const out = linked ? { ...result, content: blocks(result.content, map) } : result;
  return hasApp(out) ? withAppUri(out, (uri) => map(uri) ?? uri) : out;
}

/**
 * `result` of `method` with every resource URI in it passed through `map`:
 * `resource_link` and embedded resources in a tool result and the `ui://`
 * view its `_meta` names (also one a task
 * gives back: 2025-11-25 `tasks/result`, 2026-07-28 `tasks/get`) and in a
 * prompt's messages, and the `contents` of a read. Only the URIs change.
 */
export function mapLinks(method: string, result: Params, map: UriMap): Params {
  switch (method) {
    case 'tools/call':
    case 'tasks/result':
      return toolResult(result, map);
    case 'tasks/get':
      return isObject(result.result) ? { ...result, result: toolResult(result.result, map) } : result;
    case 'prompts/get':
      if (!Array.isArray(result.messages)) return result;
      return {
        ...result,
        messages: result.messages.map((m: unknown) =>
          isObject(m) ? { ...m, content: Array.isArray(m.content) ? blocks(m.content, map) : block(m.content, map) } : m,
        ),
      };
    case 'resources/read':
      if (!Array.isArray(result.contents)) return result;
      return {
        ...result,
        contents: result.contents.map((c: unknown) => {
          if (!isObject(c) || typeof c.uri !== 'string') return c;
          const uri = map(c.uri);
          return uri === undefined ? c : { ...c, uri };
        }),
      };
    default:
      return result;
  }
}

/** Every URI `mapLinks` would pass to its map: none means nothing to look up. */
export function linksOf(method: string, result: Params): string[] {
  const found: string[] = [];
  mapLinks(method, result, (uri) => {
    found.push(uri);
    return undefined;
  });
  return found;
}

/** What the merged view knows about URIs: the resources and templates views, and who serves resources at all. */
export interface UriViews {
  resources: View | undefined;
  templates: View | undefined;
  upstreams: readonly string[];
  offers: (upstream: string) => boolean;
}

/**
 * The upstream a client's URI reaches, as the router decides it: an alias
 * names its upstream; then a listed URI; then the first template (in the
 * merged list) it expands; then the only upstream that has resources.
 */
export function ownerOf(uri: string, views: UriViews): { upstream: string; original: string } | undefined {
  const alias = parseAlias(uri);
  if (alias !== undefined && views.upstreams.includes(alias.upstream)) return { upstream: alias.upstream, original: alias.uri };
  const listed = views.resources?.routes.get(uri);
  if (listed !== undefined) return listed;
  for (const [template, route] of views.templates?.routes ?? []) {
    if (templatePattern(template).test(uri)) return { upstream: route.upstream, original: uri };
  }
  const owners = views.upstreams.filter(views.offers);
  return owners.length === 1 ? { upstream: owners[0] as string, original: uri } : undefined;
}

/**
 * The upstreams whose templates match `uri` where those templates collide
 * (and so were aliased): a bare URI they match is theirs to share, and the
 * client must pick one by alias.
 */
export function sharedTemplateOwners(uri: string, views: UriViews): string[] {
  const owners: string[] = [];
  for (const [exposed, route] of views.templates?.routes ?? []) {
    if (exposed !== route.original && templatePattern(route.original).test(uri) && !owners.includes(route.upstream)) owners.push(route.upstream);
  }
  return owners;
}

/**
 * The URI a client must use to reach `uri` at `upstream`: the merged list's
 * spelling when it lists it; the URI itself when that already reaches
 * `upstream`; else the reversible alias (`ui://` stays `ui://`). So a link
 * in a result is read back from where it came, and names what the list does.
 */
export function exposeUri(upstream: string, uri: string, views: UriViews): string {
  const listed = views.resources === undefined ? undefined : exposedOf(views.resources, upstream, uri);
  if (listed !== undefined) return listed;
  const owner = ownerOf(uri, views);
  return owner?.upstream === upstream && owner.original === uri ? uri : aliasUri(upstream, uri);
}

/** The key of the 2025 draft of MCP Apps, which hosts still read beside `_meta.ui.resourceUri`. */
const FLAT_UI_KEY = 'ui/resourceUri';

/** Does this tool (or tool result) name an MCP App's `ui://` resource? */
export function hasApp(tool: Params): boolean {
  const meta = tool._meta;
  return isObject(meta) && ((isObject(meta.ui) && typeof meta.ui.resourceUri === 'string') || typeof meta[FLAT_UI_KEY] === 'string');
}

/** The tool (or tool result) with its app's resource URI (both spellings of the key) passed through `map`. */
export function withAppUri(tool: Params, map: (uri: string) => string): Params {
  const meta = tool._meta;
  if (!isObject(meta)) return tool;
  const out: Params = { ...meta };
  if (isObject(meta.ui) && typeof meta.ui.resourceUri === 'string') out.ui = { ...meta.ui, resourceUri: map(meta.ui.resourceUri) };
  if (typeof meta[FLAT_UI_KEY] === 'string') out[FLAT_UI_KEY] = map(meta[FLAT_UI_KEY]);
  return { ...tool, _meta: out };
}
