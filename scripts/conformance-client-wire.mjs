// A small 2026-07-28 client over raw fetch, for the conformance client driver:
// every request is one POST that carries its own envelope in `_meta` and the
// headers the revision asks for, so what reaches mcproxy is exactly what a
// modern client sends and nothing an SDK adds or hides.

export const MODERN = '2026-07-28';
const REQUEST_TIMEOUT_MS = 10_000;
/** Visible ASCII with no space or tab at either end: a header value that needs no Base64. */
const PLAIN = /^(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?$/;

/** A JSON-RPC error answered to one of our requests. */
export class RpcError extends Error {
  constructor(method, error, status) {
    super(`${method}: ${error.code} ${error.message}`);
    this.code = error.code;
    this.data = error.data;
    this.status = status;
  }
}

/** A header value as the revision wants it: plain when safe, else `=?base64?…?=` of its UTF-8. */
export function headerValue(text) {
  if (PLAIN.test(text) && !(text.startsWith('=?base64?') && text.endsWith('?='))) return text;
  return `=?base64?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

/**
 * The `Mcp-Param-*` headers for a call of `tool` (as listed) with `args`:
 * one per top-level property the schema marks with `x-mcp-header`, for a
 * string, integer or boolean value; null and absent values send nothing.
 */
export function paramHeaders(tool, args) {
  const headers = {};
  for (const [name, schema] of Object.entries(tool?.inputSchema?.properties ?? {})) {
    const header = schema?.['x-mcp-header'];
    if (typeof header !== 'string' || header === '') continue;
    const value = args?.[name];
    const text = typeof value === 'string' ? value : typeof value === 'boolean' ? String(value) : Number.isSafeInteger(value) ? String(value) : undefined;
    if (text !== undefined) headers[`Mcp-Param-${header}`] = headerValue(text);
  }
  return headers;
}

/** The JSON-RPC messages in an SSE body. */
function sseMessages(text) {
  const messages = [];
  for (const event of text.split(/\r?\n\r?\n/)) {
    const data = event
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).replace(/^ /, ''))
      .join('\n');
    if (data.trim() === '') continue;
    try {
      messages.push(JSON.parse(data));
    } catch {
      /* not JSON: not ours */
    }
  }
  return messages;
}

/**
 * A modern client of one endpoint. `capabilities` and `clientInfo` go into
 * every request's envelope, `headers` into every request (credentials); `version` is the revision it asks for, and
 * `call` may name another one (to retry after -32022).
 */
export function modernClient(url, { capabilities, clientInfo, headers: always = {} }) {
  let nextId = 0;
  const sent = [];

  async function request(method, params = {}, { version = MODERN, headers = {} } = {}) {
    const id = nextId++;
    const body = {
      jsonrpc: '2.0',
      id,
      method,
      params: {
        ...params,
        _meta: {
          ...params._meta,
          'io.modelcontextprotocol/protocolVersion': version,
          'io.modelcontextprotocol/clientCapabilities': capabilities,
          'io.modelcontextprotocol/clientInfo': clientInfo,
        },
      },
    };
    const named = method === 'resources/read' ? params.uri : method === 'tools/call' || method === 'prompts/get' ? params.name : undefined;
    const all = {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      'MCP-Protocol-Version': version,
      'Mcp-Method': method,
      ...(typeof named === 'string' ? { 'Mcp-Name': headerValue(named) } : {}),
      ...always,
      ...headers,
    };
    sent.push({ method, id, params: body.params, headers: all });
    const response = await fetch(url, { method: 'POST', headers: all, body: JSON.stringify(body), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    let messages;
    try {
      messages = type.includes('text/event-stream') ? sseMessages(text) : [JSON.parse(text)];
    } catch {
      throw new Error(`${method}: HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
    const answer = messages.find((m) => m?.id === id && ('result' in m || 'error' in m));
    if (answer === undefined) throw new Error(`${method}: HTTP ${response.status} without an answer to id ${id}: ${text.slice(0, 200)}`);
    if (answer.error) throw new RpcError(method, answer.error, response.status);
    return answer.result;
  }

  return { request, sent };
}
