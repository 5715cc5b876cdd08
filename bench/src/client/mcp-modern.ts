import type { Agent } from 'node:http';

/** The stateless revision the modern targets are spoken to in. */
export const MODERN_PROTOCOL_VERSION = '2026-07-28';

/**
 * A client of a 2026-07-28 server. The revision has no handshake and no
 * session id: each request carries who is asking in its `_meta`, so all a
 * "session" holds is where to POST, the connection pool, and the flag that
 * picks this wire format.
 */
export interface ModernSession {
  modern: true;
  url: URL;
  agent: Agent;
}

/** What every 2026-07-28 request carries in `params._meta` in place of an initialize. */
const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': MODERN_PROTOCOL_VERSION,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'mcproxy-bench', version: '1.0.0' },
};

/**
 * The headers of one 2026-07-28 POST: the revision, the method, and for the
 * methods that name a tool, prompt or resource, that name (servers may route
 * on them without reading the body, and must refuse a request whose headers
 * and body disagree). The bench's names are plain ASCII, so no encoding.
 */
export function modernHeaders(method: string, params: Record<string, unknown>): Record<string, string> {
  const headers: Record<string, string> = {
    Accept: 'application/json, text/event-stream',
    'Content-Type': 'application/json',
    'MCP-Protocol-Version': MODERN_PROTOCOL_VERSION,
    'Mcp-Method': method,
  };
  const name = method === 'resources/read' ? params.uri : method === 'tools/call' || method === 'prompts/get' ? params.name : undefined;
  if (typeof name === 'string') headers['Mcp-Name'] = name;
  return headers;
}

/** One 2026-07-28 request as JSON text, the envelope merged into `params._meta`. */
export function modernBody(id: number, method: string, params: Record<string, unknown>): string {
  const meta = typeof params._meta === 'object' && params._meta !== null ? params._meta : {};
  return JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: { ...meta, ...ENVELOPE } } });
}
