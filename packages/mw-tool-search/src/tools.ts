import type { Params } from '@mcproxy/core';

/** A tool as a `tools/list` result carries it: the fields the search reads, and whatever else it had. */
export interface Tool extends Params {
  name: string;
  title?: string;
  description?: string;
  inputSchema?: Params;
}

/** The tools of a `tools/list` result that have a name; anything else in the array is ignored. */
export function toolsOf(result: Params | undefined): Tool[] {
  const items = result?.tools;
  if (!Array.isArray(items)) return [];
  return items.filter((t): t is Tool => typeof t === 'object' && t !== null && typeof (t as Params).name === 'string');
}

/** Text a search result shows of a tool: its description cut at `chars`, on a word when it can. */
export function shortDescription(tool: Tool, chars: number): string | undefined {
  const d = typeof tool.description === 'string' ? tool.description : undefined;
  if (d === undefined || d.length <= chars) return d;
  const cut = d.slice(0, chars);
  const space = cut.lastIndexOf(' ');
  return `${space > chars / 2 ? cut.slice(0, space) : cut}…`;
}
