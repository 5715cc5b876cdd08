// Raw 2026-07-28 requests for tests: the per-request `_meta` envelope and the
// standard headers, with no SDK client in between, so a test sees exactly
// what went over the wire (status, content type, body).

export const MODERN_REVISION = '2026-07-28';

export interface ModernRequestOptions {
  id?: number | string;
  /** Client capabilities declared in the envelope; none by default. */
  capabilities?: Record<string, unknown>;
  /** Headers to add or override (e.g. a wrong MCP-Protocol-Version). */
  headers?: Record<string, string>;
}

export interface ModernMessage {
  jsonrpc: '2.0';
  id: number | string;
  method: string;
  params: Record<string, unknown>;
}

/** A request carrying the envelope every 2026-07-28 request must carry. */
export function modernMessage(method: string, params: Record<string, unknown> = {}, options: ModernRequestOptions = {}): ModernMessage {
  // The caller's own _meta (a progressToken, say) is kept beside the envelope.
  const _meta = {
    ...(params._meta as Record<string, unknown> | undefined),
    'io.modelcontextprotocol/protocolVersion': MODERN_REVISION,
    'io.modelcontextprotocol/clientInfo': { name: 'mcproxy-test', version: '0.0.0' },
    'io.modelcontextprotocol/clientCapabilities': options.capabilities ?? {},
  };
  return { jsonrpc: '2.0', id: options.id ?? 1, method, params: { ...params, _meta } };
}

/** The Streamable HTTP headers of a modern request, Mcp-Name included where the method names a target. */
export function modernHeaders(method: string, params: Record<string, unknown> = {}): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': MODERN_REVISION,
    'mcp-method': method,
  };
  const name =
    method === 'resources/read'
      ? params.uri
      : method === 'tools/call' || method === 'prompts/get'
        ? params.name
        : method.startsWith('tasks/')
          ? params.taskId
          : undefined;
  if (typeof name === 'string') headers['mcp-name'] = name;
  return headers;
}

export interface ModernReply {
  status: number;
  contentType: string;
  /** The JSON-RPC response: the body, or the last response frame of an SSE body. */
  message: { id?: unknown; result?: Record<string, unknown>; error?: { code: number; message: string; data?: unknown } } | undefined;
}

/**
 * POSTs one modern request and returns the status and the JSON-RPC answer.
 *
 * @example
 * const reply = await postModern(url, 'tools/list');
 * expect(reply.message?.result?.tools).toBeDefined();
 */
export async function postModern(url: string, method: string, params: Record<string, unknown> = {}, options: ModernRequestOptions = {}): Promise<ModernReply> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...modernHeaders(method, params), ...options.headers },
    body: JSON.stringify(modernMessage(method, params, options)),
  });
  const contentType = response.headers.get('content-type') ?? '';
  const text = await response.text();
  const frames = contentType.includes('text/event-stream')
    ? text
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => JSON.parse(line.slice(5)) as ModernReply['message'])
    : text
      ? [JSON.parse(text) as ModernReply['message']]
      : [];
  const message = frames.filter((frame) => frame && ('result' in frame || 'error' in frame)).pop();
  return { status: response.status, contentType, message };
}
