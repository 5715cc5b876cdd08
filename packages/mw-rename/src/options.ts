import { TOOL_NAME } from '@mcproxy/names';
import { z } from 'zod';

/** The characters and length the MCP spec (2025-11-25) allows in a tool name. */
export { TOOL_NAME };

const newName = z.string().regex(TOOL_NAME, 'a new name must be 1 to 128 letters, digits, "_", "-" or "." (MCP tool names, 2025-11-25)');

/** A new name, or what to change: the name, the title shown to people, the description models read. */
const entry = z.union([newName, z.object({ name: newName.optional(), title: z.string().optional(), description: z.string().optional() }).strict()]);

/** Old name (as this middleware sees it) → what it becomes. */
const table = z.record(z.string().min(1), entry);

export type RenameEntry = z.input<typeof entry>;
export type RenameTable = z.input<typeof table>;

/** The name an entry gives its item: the new name, or the old one when only the title or description changes. */
export const newNameOf = (old: string, e: RenameEntry): string => (typeof e === 'string' ? e : (e.name ?? old));

/** Two old names must not end up under one new name: a call by that name could not say which it means. */
function noCollisions(tab: RenameTable | undefined, kind: string, ctx: z.RefinementCtx): void {
  const taken = new Map<string, string>();
  for (const [old, e] of Object.entries(tab ?? {})) {
    const name = newNameOf(old, e);
    const first = taken.get(name);
    if (first === undefined) taken.set(name, old);
    else ctx.addIssue({ code: 'custom', path: [kind, old], message: `"${first}" and "${old}" would both be named "${name}"` });
  }
}

export const renameOptionsSchema = z
  .object({
    tools: table.optional(),
    prompts: table.optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    noCollisions(o.tools, 'tools', ctx);
    noCollisions(o.prompts, 'prompts', ctx);
  });

/** The options of `rename`, as written in a pipeline file. */
export type RenameOptions = z.input<typeof renameOptionsSchema>;
