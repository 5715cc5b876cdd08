import { ConfigError } from '@mcproxy/core';

interface Entry {
  use: string;
  with: Record<string, unknown>;
}

/** A built-in's short name, whether the file wrote `rate-limit` or `@mcproxy/mw-rate-limit`. */
const nameOf = (use: string): string => use.replace(/^@mcproxy\/mw-/, '');

const hasTools = (rules: unknown): boolean => typeof rules === 'object' && rules !== null && 'tools' in rules;

/**
 * What an entry decides by tool name, if anything: `rate-limit` with
 * `tools:` limits, `filter` with `tools` rules (global or an upstream's),
 * `logging` with `audit: true`. Those must see the real tool of a call.
 */
function perTool(entry: Entry): string | undefined {
  const options = entry.with;
  switch (nameOf(entry.use)) {
    case 'rate-limit':
      return Array.isArray(options.tools) && options.tools.length > 0 ? 'per-tool limits (tools:)' : undefined;
    case 'filter': {
      const scoped = Object.values((options.upstreams as Record<string, unknown> | undefined) ?? {});
      return hasTools(options) || scoped.some(hasTools) ? 'tools rules' : undefined;
    }
    case 'logging':
      return options.audit === true ? 'an audit log' : undefined;
    default:
      return undefined;
  }
}

/**
 * Refuses a pipeline where per-tool policy sits before `tool-search`: there
 * it sees `call_tool` (and `search_tools`, `describe_tool`), never the tool a
 * call through `call_tool` reaches, so a limit on `deploy`, a filter hiding
 * it or an audit line naming it would be passed by. After `tool-search`, a
 * call through `call_tool` arrives as an ordinary `tools/call` of the real
 * tool. The error names the file, both entries and the order to use.
 */
export function checkToolSearchOrder(file: string, where: string, entries: readonly Entry[]): void {
  const search = entries.findIndex((e) => nameOf(e.use) === 'tool-search');
  if (search < 0) return;
  for (const [i, entry] of entries.slice(0, search).entries()) {
    const what = perTool(entry);
    if (what === undefined) continue;
    throw new ConfigError(
      `invalid pipeline file ${file}:\n  at ${where}[${i}]: ${entry.use} has ${what} but comes before tool-search (${where}[${search}]), ` +
        `so a call through call_tool would reach the tool without passing them; put tool-search before ${entry.use}` +
        (nameOf(entry.use) === 'rate-limit' ? ' (a rate-limit with only principal: may stay first: it counts every request)' : ''),
    );
  }
}
