import { aggregateOptionsSchema } from '@mcproxy/mw-aggregate';
import { filterOptionsSchema } from '@mcproxy/mw-filter';
import { loggingOptionsSchema } from '@mcproxy/mw-logging';
import { rateLimitOptionsSchema } from '@mcproxy/mw-rate-limit';
import { renameOptionsSchema } from '@mcproxy/mw-rename';
import { toolSearchOptionsSchema } from '@mcproxy/mw-tool-search';
import type { z } from 'zod';

/**
 * The options schema of each built-in middleware, by its short name: the
 * schemas its factory checks with. The loader checks a `with:` against it
 * while reading the file (so the error names the file and the place), and
 * the JSON Schema for editors is generated from the same objects.
 */
export const BUILTIN_OPTIONS: Record<string, { package: string; schema: z.ZodType }> = {
  logging: { package: '@mcproxy/mw-logging', schema: loggingOptionsSchema },
  filter: { package: '@mcproxy/mw-filter', schema: filterOptionsSchema },
  rename: { package: '@mcproxy/mw-rename', schema: renameOptionsSchema },
  aggregate: { package: '@mcproxy/mw-aggregate', schema: aggregateOptionsSchema },
  'tool-search': { package: '@mcproxy/mw-tool-search', schema: toolSearchOptionsSchema },
  'rate-limit': { package: '@mcproxy/mw-rate-limit', schema: rateLimitOptionsSchema },
};

/** The options schema for a `use:`, by short name or package name; undefined for middleware of one's own. */
export function builtinOptions(use: string): z.ZodType | undefined {
  return (BUILTIN_OPTIONS[use] ?? Object.values(BUILTIN_OPTIONS).find((b) => b.package === use))?.schema;
}
