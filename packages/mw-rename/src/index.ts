import { defineMiddleware, notFound, type NotFoundKind, type Params, type RequestContext } from '@mcproxy/core';
import { deniedByGuards, listOf } from '@mcproxy/names';
import { renameOptionsSchema } from './options.js';
import { Renames } from './renames.js';

export { renameOptionsSchema, TOOL_NAME, type RenameEntry, type RenameOptions, type RenameTable } from './options.js';
export { Renames, type Inbound, type OnShadow } from './renames.js';

/** Where a request carries the name it uses, for the requests rename rewrites. */
interface NameSlot {
  kind: NotFoundKind;
  get(params: Params): unknown;
  set(params: Params, name: string): Params;
}

const byName: Pick<NameSlot, 'get' | 'set'> = {
  get: (p) => p.name,
  set: (p, name) => ({ ...p, name }),
};

const promptRef: Pick<NameSlot, 'get' | 'set'> = {
  get: (p) => {
    const ref = p.ref as Params | undefined;
    return ref?.type === 'ref/prompt' ? ref.name : undefined;
  },
  set: (p, name) => ({ ...p, ref: { ...(p.ref as Params), name } }),
};

const SLOTS: Readonly<Record<string, NameSlot>> = {
  'tools/call': { kind: 'tool', ...byName },
  'prompts/get': { kind: 'prompt', ...byName },
  'completion/complete': { kind: 'prompt', ...promptRef },
};

/**
 * Renames tools and prompts and overrides their titles and descriptions.
 * Lists show the new names; a request by a new name reaches the upstream
 * under the old one; a renamed item's old name is answered as missing
 * (`notFound`), so each item has exactly one name. Stacks: two renames in
 * one chain (or in two chained proxies) compose like functions.
 *
 * @example
 * const mw = rename({ tools: { fs_read_file: { name: 'read', title: 'Read a file' } } }, { log });
 */
export const rename = defineMiddleware('rename', renameOptionsSchema, (options, env) => {
  const renames = { tools: new Renames(options.tools), prompts: new Renames(options.prompts) };
  const byKind: Record<NotFoundKind, Renames | undefined> = {
    tool: renames.tools,
    prompt: renames.prompts,
    resource: undefined,
    'resource template': undefined,
  };
  // Closure state, one per pipeline entry: each shadowed name is warned about once.
  const warned = new Set<string>();
  const onShadow =
    (kind: string) =>
    (name: string, renamedFrom: string): void => {
      const key = `${kind}\n${name}`;
      if (warned.has(key)) return;
      warned.add(key);
      env.log.warn(
        { kind, name, renamedFrom },
        `an upstream has a ${kind} named "${name}", the new name of "${renamedFrom}": it is hidden, and "${name}" means the renamed one`,
      );
    };

  const inbound = (ctx: RequestContext): ReturnType<typeof notFound> | undefined => {
    const slot = SLOTS[ctx.message.method];
    const params = ctx.message.params;
    if (slot === undefined || params === undefined) return undefined;
    const name = slot.get(params);
    const table = byKind[slot.kind];
    if (typeof name !== 'string' || table === undefined) return undefined;
    const decision = table.inbound(name);
    if ('refuse' in decision) return notFound(slot.kind, name);
    if ('to' in decision) {
      // A filter before us judged the new name; the old one is what the upstream runs.
      if (deniedByGuards(ctx.session, slot.kind === 'tool' ? 'tools' : 'prompts', decision.to, ctx.upstream)) return notFound(slot.kind, name);
      ctx.message = { ...ctx.message, params: slot.set(params, decision.to) };
    }
    return undefined;
  };

  return async function rename(ctx, next) {
    // Names only travel toward upstream in requests, and come back in list results.
    if (ctx.kind === 'notification' || ctx.direction === 'downstream') return next();
    const refused = inbound(ctx);
    if (refused !== undefined) return refused;
    const listed = listOf(ctx.message.method)?.kind;
    const kind = listed === 'tools' || listed === 'prompts' ? listed : undefined;
    const reply = await next();
    if (kind === undefined || renames[kind].empty || reply?.result === undefined) return reply;
    const items = reply.result[kind];
    if (!Array.isArray(items)) return reply;
    const shown = items.filter((item) => {
      const old = typeof item === 'object' && item !== null ? (item as Params).name : undefined;
      return typeof old !== 'string' || !renames[kind].renames(old) || !deniedByGuards(ctx.session, kind, old, ctx.upstream);
    });
    return { result: { ...reply.result, [kind]: renames[kind].outbound(shown, onShadow(kind === 'tools' ? 'tool' : 'prompt')) } };
  };
});

export default rename;
