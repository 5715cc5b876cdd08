/**
 * How middleware name MCP items across upstreams and across one another:
 * the four lists and the tool-name rule, alias URIs, URI templates and the
 * deny guards filters leave for translators. Shared by mw-aggregate,
 * mw-filter, mw-rename and mw-tool-search so that none depends on another.
 */
export { listOf, MCP_LISTS, TOOL_NAME, type ListKind, type ListShape } from './mcp-lists.js';
export { addGuard, deniedByGuards, GUARDS, hasGuards, type Guard } from './guards.js';
export { aliasTemplate, aliasUri, parseAlias, spellingsOf, type Spelling } from './resource-alias.js';
export { templatePattern } from './uri-template.js';
