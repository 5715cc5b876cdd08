import { TOOL_NAME } from '@mcproxy/names';
import { z } from 'zod';

const toolName = z.string().regex(TOOL_NAME, 'a tool name must be 1 to 128 letters, digits, "_", "-" or "." (MCP tool names, 2025-11-25)');
const count = (max: number) => z.number().int().min(1).max(max);

export const toolSearchOptionsSchema = z
  .strictObject({
    /** Globs (minimatch) on tool names, as this middleware sees them: these tools are listed in full beside the three. */
    pinned: z.array(z.string().min(1, 'a glob may not be empty')).default([]),
    /** The names the three tools are listed under. */
    names: z
      .strictObject({ search: toolName.default('search_tools'), describe: toolName.default('describe_tool'), call: toolName.default('call_tool') })
      .default({ search: 'search_tools', describe: 'describe_tool', call: 'call_tool' })
      .refine((n) => new Set([n.search, n.describe, n.call]).size === 3, 'the three names must differ'),
    /** Whether the three (and the pinned tools) replace the catalog in `tools/list`; `false` lists them before the whole catalog. */
    replace: z.boolean().default(true),
    /** Whether each search result carries the tool's input schema, so a model can call it without describe. */
    schemas: z.boolean().default(false),
    /** How many results a search gives when it does not say; `limit` in a search may ask for up to `maxResults`. */
    results: count(100).default(5),
    maxResults: count(100).default(20),
    /** Characters of each description a search result shows (the whole one comes with describe). */
    descriptionChars: count(100_000).default(300),
    /** Whether a `tools/call` by a catalog tool's own name (not through call_tool) is passed on. */
    directCalls: z.boolean().default(true),
    /** The catalog keeps at most this many tools; past it the rest is left out and a warning logged. */
    maxTools: count(1_000_000).default(10_000),
    /** Pages of `tools/list` followed to build the catalog. */
    maxPages: count(10_000).default(100),
    /** A session's catalog is fetched again when older than this, even without list_changed. */
    maxAgeMs: count(86_400_000).default(60_000),
    /** Distinct catalogs (by content) whose search index is kept, shared by the sessions that list the same tools. */
    indexes: count(1000).default(8),
  })
  .refine((o) => o.results <= o.maxResults, { path: ['results'], message: 'results may not be more than maxResults' });

/** The options of `tool-search`, as written in a pipeline file. */
export type ToolSearchOptions = z.input<typeof toolSearchOptionsSchema>;
/** The options once checked, defaults filled in. */
export type ToolSearchConfig = z.output<typeof toolSearchOptionsSchema>;
