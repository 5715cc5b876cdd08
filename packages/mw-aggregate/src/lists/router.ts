import { errorReply, JSONRPCErrorCode, notFound, type Context, type Next, type Params, type Reply } from '@mcproxy/core';
import { aliasUri, deniedByGuards, parseAlias } from '@mcproxy/names';
import { ownerOf, sharedTemplateOwners } from './links.js';
import type { Route } from './names.js';
import type { SessionLists } from './views.js';

/** Where a request goes, with its params as that upstream knows them; or the answer when it goes nowhere. */
export type Routed = { upstream: string; params: Params } | { error: Reply };

/**
 * Finds the owner of the name or URI a request carries, from the session's
 * merged views (fetching a view when the name is not in the last one), and
 * gives the params back with the upstream's own name in them.
 */
export class Router {
  constructor(
    private readonly ctx: Context,
    private readonly next: Next,
    private readonly lists: SessionLists,
  ) {}

  /** undefined: the method names nothing this router knows how to route. */
  async route(method: string, params: Params): Promise<Routed | undefined> {
    switch (method) {
      case 'tools/call':
        return this.byName('tools', 'tool', params, 'name');
      case 'prompts/get':
        return this.byName('prompts', 'prompt', params, 'name');
      case 'resources/read':
      case 'resources/subscribe':
      case 'resources/unsubscribe':
        return this.byUri(params);
      case 'completion/complete':
        return this.completion(params);
      default:
        return undefined;
    }
  }

  private async byName(kind: 'tools' | 'prompts', label: 'tool' | 'prompt', params: Params, field: string): Promise<Routed> {
    const name = params[field];
    if (typeof name !== 'string') return { error: notFound(label, String(name)) };
    const route = (await this.named(kind, name)) ?? (kind === 'tools' ? this.ownName(name) : undefined);
    if (route === undefined) return { error: this.lists.starting(this.ctx, kind, label, name) ?? notFound(label, name) };
    if (Array.isArray(route)) {
      const names = route.slice(0, 8).join(', ');
      return {
        error: errorReply(JSONRPCErrorCode.InvalidParams, `Tool ${name} not found: it is the own name of tools of several upstreams; call one of ${names}`, {
          candidates: route,
        }),
      };
    }
    return { upstream: route.upstream, params: { ...params, [field]: route.original } };
  }

  private async named(kind: 'tools' | 'prompts' | 'resources', name: string): Promise<Route | undefined> {
    const last = this.lists.last(kind)?.routes.get(name);
    if (last !== undefined) return last;
    return (await this.lists.view(this.ctx, this.next, kind)).view.routes.get(name);
  }

  /**
   * A tool called by its upstream's own name where the merged list shows it
   * prefixed: an MCP App calls the tools of its server by the names that
   * server gave them. It reaches that tool when exactly one upstream has the
   * name, and the merged name is not hidden by a filter before us; with
   * several, the merged names to choose from (the proxy cannot tell which
   * app a call comes from, and does not guess).
   */
  private ownName(name: string): Route | string[] | undefined {
    const view = this.lists.last('tools');
    if (view === undefined) return undefined;
    const found = [...view.routes].filter(([exposed, route]) => route.original === name && !deniedByGuards(this.ctx.session, 'tools', exposed, undefined));
    if (found.length > 1) return found.map(([exposed]) => exposed);
    return found[0]?.[1];
  }

  private async byUri(params: Params): Promise<Routed> {
    const uri = params.uri;
    if (typeof uri !== 'string') return { error: notFound('resource', String(uri)) };
    const route = await this.uriOwner(uri);
    if (route === undefined) return { error: await this.missingUri(uri) };
    return { upstream: route.upstream, params: { ...params, uri: route.original } };
  }

  /** Not found; when colliding templates of several upstreams match it, the aliases to read instead. */
  private async missingUri(uri: string): Promise<Reply> {
    const owners = sharedTemplateOwners(uri, await this.lists.uriViews(this.ctx, this.next));
    const missing = notFound('resource', uri);
    if (owners.length < 2 || missing.error === undefined) return missing;
    const choices = owners.slice(0, 8).map((u) => aliasUri(u, uri));
    return {
      error: {
        ...missing.error,
        message: `${missing.error.message}: templates of several upstreams match it; read one of ${choices.join(', ')}`,
        data: { uri, candidates: choices },
      },
    };
  }

  /** Listed URIs first, then our rewritten form, then templates, then the only upstream with resources. */
  private async uriOwner(uri: string): Promise<Route | undefined> {
    const alias = parseAlias(uri);
    if (alias !== undefined && this.ctx.upstreams.includes(alias.upstream)) return { upstream: alias.upstream, original: alias.uri };
    const listed = await this.named('resources', uri);
    if (listed !== undefined) return listed;
    return ownerOf(uri, await this.lists.uriViews(this.ctx, this.next));
  }

  private async completion(params: Params): Promise<Routed> {
    const ref = params.ref as Params | undefined;
    if (ref?.type === 'ref/prompt' && typeof ref.name === 'string') {
      const route = await this.named('prompts', ref.name);
      if (route === undefined) return { error: notFound('prompt', ref.name) };
      return { upstream: route.upstream, params: { ...params, ref: { ...ref, name: route.original } } };
    }
    if (ref?.type === 'ref/resource' && typeof ref.uri === 'string') {
      const templates = (await this.lists.view(this.ctx, this.next, 'resourceTemplates')).view;
      const route = templates.routes.get(ref.uri) ?? (await this.uriOwner(ref.uri));
      if (route === undefined) return { error: notFound('resource template', ref.uri) };
      return { upstream: route.upstream, params: { ...params, ref: { ...ref, uri: route.original } } };
    }
    return { error: notFound('prompt', JSON.stringify(ref ?? null)) };
  }
}
