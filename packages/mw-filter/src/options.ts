import { z } from 'zod';

const globs = z.array(z.string().min(1, 'a glob may not be empty'));

/** One kind's rules: deny wins over allow; no allow list (or an empty one) allows everything. */
const rule = z.object({ allow: globs.optional(), deny: globs.optional() }).strict();

const kinds = {
  /** Matched on the tool's name. */
  tools: rule.optional(),
  /** Matched on the prompt's name. */
  prompts: rule.optional(),
  /** Matched on the resource's URI. */
  resources: rule.optional(),
  /** Matched on the template's `uriTemplate` text. */
  resourceTemplates: rule.optional(),
};

/** Rules for one upstream; they apply on top of the global ones. */
const scoped = z.object(kinds).strict();

export const filterOptionsSchema = z
  .object({
    ...kinds,
    /** Per-upstream rules, keyed by the upstream's name in the proxy's configuration. */
    upstreams: z.record(z.string().min(1), scoped).optional(),
  })
  .strict();

/** The options of `filter`, as written in a pipeline file. */
export type FilterOptions = z.input<typeof filterOptionsSchema>;
/** One kind's `{ allow, deny }` lists. */
export type FilterRule = z.input<typeof rule>;
/** The four kinds of things a filter governs. */
export type FilterKind = keyof typeof kinds;
export const FILTER_KINDS = Object.keys(kinds) as FilterKind[];
