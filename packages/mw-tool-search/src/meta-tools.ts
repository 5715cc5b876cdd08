import type { Params, Reply } from '@mcproxy/core';
import type { ToolSearchConfig } from './options.js';
import { shortDescription, type Tool } from './tools.js';
import type { Catalog } from './catalog.js';

/** The longest query a search takes: a search is words, not a document. */
export const MAX_QUERY_CHARS = 1000;

/** The three tools a client sees in place of the catalog. */
export function metaTools(config: ToolSearchConfig): Tool[] {
  const { search, describe, call } = config.names;
  return [
    {
      name: search,
      description:
        `Find tools among the many this server offers: give words about the task (what it acts on, what it does). ` +
        `Returns the best matches, best first, with their descriptions. Then read a tool's parameters with ${describe} and run it with ${call}.`,
      inputSchema: {
        type: 'object',
        properties: {
          query: { type: 'string', description: 'Words to look for in tool names and descriptions, e.g. "create github issue".' },
          limit: { type: 'integer', minimum: 1, maximum: config.maxResults, description: `How many tools to return (default ${config.results}).` },
        },
        required: ['query'],
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    {
      name: describe,
      description: `Show one tool's full definition: description, input schema (its parameters) and annotations. Use a name ${search} returned.`,
      inputSchema: { type: 'object', properties: { name: { type: 'string', description: 'The tool name.' } }, required: ['name'] },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    {
      name: call,
      description: `Run a tool by name, with arguments as its input schema (from ${describe}) says. Returns that tool's result.`,
      inputSchema: {
        type: 'object',
        properties: {
          name: { type: 'string', description: 'The tool name.' },
          arguments: { type: 'object', description: "The tool's arguments." },
        },
        required: ['name'],
      },
    },
  ];
}

/** A tool result that failed: how MCP says a tool could not do its job, so the model reads why. */
export const toolError = (text: string): Reply => ({ result: { content: [{ type: 'text', text }], isError: true } });

const structured = (value: Params): Reply => ({ result: { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value } });

/** The answer for a tool the catalog does not have: the same for a hidden tool as for one that never existed. */
export const unknownTool = (config: ToolSearchConfig, name: string): Reply => toolError(`Tool ${name} not found. Find tools with ${config.names.search}.`);

/** `search_tools`: the best matches for the query, with short descriptions. */
export function searchTools(config: ToolSearchConfig, catalog: Catalog, args: Params): Reply {
  const { query, limit = config.results } = args;
  if (typeof query !== 'string' || query.trim() === '' || query.length > MAX_QUERY_CHARS) {
    return toolError(`${config.names.search} needs "query": words to look for (1 to ${MAX_QUERY_CHARS} characters).`);
  }
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > config.maxResults) {
    return toolError(`"limit" must be a whole number from 1 to ${config.maxResults}.`);
  }
  const results = catalog.index.search(query, limit).map(({ name, score }) => {
    const tool = catalog.byName.get(name)!;
    const description = shortDescription(tool, config.descriptionChars);
    return {
      name,
      ...(typeof tool.title === 'string' ? { title: tool.title } : {}),
      ...(description === undefined ? {} : { description }),
      ...(config.schemas && tool.inputSchema !== undefined ? { inputSchema: tool.inputSchema } : {}),
      score,
    };
  });
  return structured({ results, of: catalog.tools.length });
}

/** `describe_tool`: one tool as the chain lists it, whole. */
export function describeTool(config: ToolSearchConfig, catalog: Catalog, own: readonly Tool[], args: Params): Reply {
  const { name } = args;
  if (typeof name !== 'string') return toolError(`${config.names.describe} needs "name": a tool name.`);
  const tool = catalog.byName.get(name) ?? own.find((t) => t.name === name);
  return tool === undefined ? unknownTool(config, name) : structured(tool);
}
