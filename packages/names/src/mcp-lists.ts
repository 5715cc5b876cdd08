/** The four kinds of things an MCP server lists. */
export type ListKind = 'tools' | 'prompts' | 'resources' | 'resourceTemplates';

/** How one list looks on the wire: its method, the result's array field, and what names each item. */
export interface ListShape {
  kind: ListKind;
  method: string;
  field: ListKind;
  key: 'name' | 'uri' | 'uriTemplate';
}

/** The list methods of MCP, by kind. Middleware that works on names reads them from here. */
export const MCP_LISTS: Readonly<Record<ListKind, ListShape>> = {
  tools: { kind: 'tools', method: 'tools/list', field: 'tools', key: 'name' },
  prompts: { kind: 'prompts', method: 'prompts/list', field: 'prompts', key: 'name' },
  resources: { kind: 'resources', method: 'resources/list', field: 'resources', key: 'uri' },
  resourceTemplates: { kind: 'resourceTemplates', method: 'resources/templates/list', field: 'resourceTemplates', key: 'uriTemplate' },
};

const BY_METHOD: ReadonlyMap<string, ListShape> = new Map(Object.values(MCP_LISTS).map((shape) => [shape.method, shape]));

/** The list a method asks for, if it is one of the four. */
export function listOf(method: string): ListShape | undefined {
  return BY_METHOD.get(method);
}

/** A valid tool name under the 2025-11-25 spec: 1 to 128 of letters, digits, `_`, `-` and `.`. */
export const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
