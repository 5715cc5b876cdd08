/** A tool of the made-up catalog. */
export interface CatalogTool {
  name: string;
  description: string;
  inputSchema: { type: 'object'; properties: Record<string, { type: string; description: string }>; required: string[] };
}

/** Upstream name → its 50 tools. */
export function catalog(): Record<string, CatalogTool[]>;

/** A labelled query: any of `tools` of `upstream` answers it. */
export interface LabelledQuery {
  query: string;
  upstream: string;
  tools: string[];
}

export const QUERIES: LabelledQuery[];
