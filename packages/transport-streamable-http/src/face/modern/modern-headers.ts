// Which POSTs are 2026-07-28 ones, and the header checks the revision asks of them before the body is trusted.
import type { IncomingHttpHeaders } from 'node:http';
import {
  envelopeVersion,
  errorReply,
  hasEnvelope,
  isObject,
  JSONRPCErrorCode,
  LEGACY_VERSIONS,
  McpErrorCode,
  MODERN_VERSIONS,
  readEnvelope,
  unsupportedVersion,
  type Reply,
  type Request,
} from '@mcproxy/core';
import { decodeHeaderValue, NAMED_BY } from '../../http/mcp-headers.js';

/** What RFC 9110 allows in a field value: visible ASCII, space and tab. Anything else must travel Base64-encoded. */
const FIELD_VALUE = /^[\t\x20-\x7e]*$/;

/** A header named once, with the optional whitespace around it dropped; undefined when absent. */
function headerOf(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value.join(', ') : value).replace(/^[\t ]+|[\t ]+$/g, '');
}

/**
 * Is this POST (without `Mcp-Session-Id`) a 2026-07-28 one? It is when its
 * `MCP-Protocol-Version` names no initialize-era revision, when its message
 * carries a modern envelope, or when it is the modern probe
 * `server/discover`. A legacy `initialize` is routed before this is asked.
 */
export function isModernPost(headers: IncomingHttpHeaders, body: unknown): boolean {
  const version = headerOf(headers, 'mcp-protocol-version');
  if (version !== undefined && !LEGACY_VERSIONS.includes(version)) return true;
  if (!isObject(body) || typeof body.method !== 'string') return false;
  const params = isObject(body.params) ? body.params : undefined;
  return hasEnvelope(params) || body.method === 'server/discover';
}

/** Does this GET or DELETE come from a modern client (one that names a revision past the initialize era)? */
export function isModernHeader(headers: IncomingHttpHeaders): boolean {
  const version = headerOf(headers, 'mcp-protocol-version');
  return version !== undefined && !LEGACY_VERSIONS.includes(version);
}

const mismatch = (message: string): Reply => errorReply(McpErrorCode.HeaderMismatch, `Header mismatch: ${message}`);
const shown = (value: string): string => `'${value.length > 80 ? `${value.slice(0, 80)}…` : value}'`;

/**
 * The checks a 2026-07-28 request must pass before the proxy acts on it,
 * in the order the spec's server validation and the conformance suite
 * follow: `MCP-Protocol-Version` present (-32020), the `_meta` envelope
 * well formed (-32602, core's own wording), header and envelope naming the
 * same revision (-32020) and one the proxy speaks (-32022, listing those
 * it does), then `Mcp-Method` and, for the methods that name a target,
 * `Mcp-Name` (after Base64 decoding) equal to the body (-32020). Returns
 * the error to answer with HTTP 400, or undefined when the request may go on.
 *
 * `Mcp-Param-*` headers are not checked: the proxy recognises none of
 * them, and toward the upstream they are mirrored afresh from the body, so
 * a stale one from the client goes nowhere.
 */
export function modernRefusal(headers: IncomingHttpHeaders, request: Request): Reply | undefined {
  const version = headerOf(headers, 'mcp-protocol-version');
  if (version === undefined || version === '') return mismatch('the MCP-Protocol-Version header is required');
  if (!FIELD_VALUE.test(version)) return mismatch('the MCP-Protocol-Version header holds characters a header may not');
  const envelope = readEnvelope(request.params);
  if ('error' in envelope && envelope.error.error?.code !== McpErrorCode.UnsupportedProtocolVersion) return envelope.error;
  const inBody = envelopeVersion(request.params) ?? '';
  if (version !== inBody) {
    // Two revisions the proxy cannot speak: the client learns which it can, rather than that they differ.
    if (!MODERN_VERSIONS.includes(version) && !MODERN_VERSIONS.includes(inBody)) return unsupportedVersion(version);
    return mismatch(`MCP-Protocol-Version header value ${shown(version)} does not match _meta protocol version ${shown(inBody)}`);
  }
  if ('error' in envelope) return unsupportedVersion(version);
  return methodRefusal(headers, request);
}

/** `Mcp-Method` and `Mcp-Name` against the body. */
function methodRefusal(headers: IncomingHttpHeaders, request: Request): Reply | undefined {
  const method = headerOf(headers, 'mcp-method');
  if (method === undefined) return mismatch('the Mcp-Method header is required');
  if (!FIELD_VALUE.test(method)) return mismatch('the Mcp-Method header holds characters a header may not');
  if (method !== request.method) return mismatch(`Mcp-Method header value ${shown(method)} does not match body method ${shown(request.method)}`);
  const field = NAMED_BY[request.method];
  if (field === undefined) return undefined;
  const inBody = request.params?.[field];
  const name = headerOf(headers, 'mcp-name');
  if (name === undefined) {
    // Without a target in the body there is nothing to mirror; the server answers the missing param itself.
    return typeof inBody === 'string' ? mismatch(`the Mcp-Name header is required for ${request.method}`) : undefined;
  }
  if (!FIELD_VALUE.test(name)) return mismatch('the Mcp-Name header holds characters a header may not; encode it as =?base64?…?=');
  const decoded = decodeHeaderValue(name);
  if (decoded === undefined) return mismatch('the Mcp-Name header is not valid =?base64?…?= of UTF-8');
  if (decoded !== inBody) {
    const body = typeof inBody === 'string' ? shown(inBody) : 'none';
    return mismatch(`Mcp-Name header value ${shown(decoded)} does not match body params.${field} ${body}`);
  }
  return undefined;
}

/** A refusal of a message that cannot be served at all (a batch, a response, not JSON-RPC). */
export const invalidRequest = (why: string): Reply => errorReply(JSONRPCErrorCode.InvalidRequest, `Invalid Request: ${why}`);
