// The request metadata headers of MCP 2026-07-28 (Mcp-Method, Mcp-Name,
// Mcp-Param-*): how values are encoded, and which tool parameters a tool's
// `x-mcp-header` annotations ask a client to mirror.
import { isObject, type Params } from '@mcproxy/core';

const SENTINEL_START = '=?base64?';
const SENTINEL_END = '?=';
/** Visible ASCII, with spaces and tabs only inside. */
const PLAIN = /^(?:[\x21-\x7e](?:[\x20-\x7e\t]*[\x21-\x7e])?)?$/;
/** RFC 9110 `token`: what a field name (and so an `x-mcp-header` value) may be. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const PRIMITIVES: ReadonlySet<string> = new Set(['string', 'integer', 'boolean']);
/** Keywords whose values are data, not schemas: an `x-mcp-header` key there is not an annotation. */
const DATA_KEYWORDS: ReadonlySet<string> = new Set(['enum', 'const', 'default', 'examples', 'required']);
/** Schemas nest deeper than this only to make a client work; past it nothing more is looked at. */
const MAX_DEPTH = 64;

/**
 * A header value as 2026-07-28 wants it on the wire: as it is when it is
 * plain visible ASCII (spaces and tabs inside only), else the Base64 of its
 * UTF-8 in the sentinel `=?base64?…?=`; a plain value that looks like the
 * sentinel is encoded too, so a server never mistakes it.
 *
 * @example
 * encodeHeaderValue('us-west1');   // 'us-west1'
 * encodeHeaderValue('Hello, 世界'); // '=?base64?SGVsbG8sIOS4lueVjA==?='
 */
export function encodeHeaderValue(value: string): string {
  const sentinel = value.startsWith(SENTINEL_START) && value.endsWith(SENTINEL_END);
  if (PLAIN.test(value) && !sentinel) return value;
  return `${SENTINEL_START}${Buffer.from(value, 'utf8').toString('base64')}${SENTINEL_END}`;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The inverse of `encodeHeaderValue`: a header value as the sender meant it,
 * the sentinel form decoded; undefined when the sentinel holds no valid
 * Base64 of valid UTF-8.
 */
export function decodeHeaderValue(value: string): string | undefined {
  if (!value.startsWith(SENTINEL_START) || !value.endsWith(SENTINEL_END) || value.length < SENTINEL_START.length + SENTINEL_END.length) return value;
  const encoded = value.slice(SENTINEL_START.length, -SENTINEL_END.length);
  if (!BASE64.test(encoded)) return undefined;
  try {
    return strictUtf8.decode(Buffer.from(encoded, 'base64'));
  } catch {
    return undefined;
  }
}

/** One parameter a tool asks to see mirrored: `Mcp-Param-{header}` from the value at `path` in its arguments. */
export interface HeaderParam {
  header: string;
  path: readonly string[];
}

/** A tool's `x-mcp-header` annotations, or why they make the tool invalid. */
export type HeaderAnnotations = { params: readonly HeaderParam[] } | { invalid: string };

/** Is a property's declared type one a header may carry (string, integer, boolean; `null` beside them allowed)? */
function primitiveType(schema: Params): boolean {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const named = types.filter((t) => t !== 'null');
  return named.length > 0 && named.every((t) => typeof t === 'string' && PRIMITIVES.has(t));
}

/**
 * Reads the `x-mcp-header` annotations of a tool's `inputSchema` by the
 * rules of 2026-07-28: each value a non-empty token, unique among the
 * schema's annotations ignoring case, on a property of type string,
 * integer or boolean, reached from the root through `properties` alone
 * (never `items`, `oneOf`, `$ref`, `$defs`, …). Any breach makes the whole
 * tool invalid, and the reason says which.
 */
export function headerAnnotationsOf(inputSchema: unknown): HeaderAnnotations {
  const params: HeaderParam[] = [];
  const seen = new Set<string>();
  let invalid: string | undefined;
  const visit = (schema: unknown, path: string[] | undefined, depth: number): void => {
    if (invalid !== undefined || depth > MAX_DEPTH) return;
    if (Array.isArray(schema)) {
      for (const item of schema) visit(item, undefined, depth + 1);
      return;
    }
    if (!isObject(schema)) return;
    for (const [key, value] of Object.entries(schema)) {
      if (invalid !== undefined) return;
      if (key === 'x-mcp-header') {
        invalid = annotationProblem(schema, value, path, seen);
        if (invalid === undefined) params.push({ header: value as string, path: path! });
      } else if (key === 'properties' && path !== undefined && isObject(value)) {
        for (const [name, sub] of Object.entries(value)) visit(sub, [...path, name], depth + 1);
      } else if (!DATA_KEYWORDS.has(key) && typeof value === 'object') {
        // Below any other keyword, what an annotation marks is not statically reachable.
        visit(value, undefined, depth + 1);
      }
    }
  };
  visit(inputSchema, [], 0);
  return invalid === undefined ? { params } : { invalid };
}

/** What is wrong with one annotation (undefined: nothing); records its name in `seen`. */
function annotationProblem(schema: Params, value: unknown, path: string[] | undefined, seen: Set<string>): string | undefined {
  if (path === undefined) return 'an x-mcp-header annotation is on a property not reachable through "properties" alone';
  if (path.length === 0) return 'the input schema itself carries an x-mcp-header annotation';
  const where = `property "${path.join('.').slice(0, 100)}"`;
  if (typeof value !== 'string' || value === '') return `the x-mcp-header of ${where} is not a non-empty string`;
  if (!TOKEN.test(value)) return `the x-mcp-header of ${where} is not an HTTP token`;
  const folded = value.toLowerCase();
  if (seen.has(folded)) return `the x-mcp-header "${value}" is used twice (names are compared ignoring case)`;
  seen.add(folded);
  if (!primitiveType(schema)) return `${where} carries an x-mcp-header but is not of type string, integer or boolean`;
  return undefined;
}

/** A value as a header carries it (string as is, integer in decimal, boolean in lower case); undefined for null, absent or anything else. */
function headerText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return undefined;
}

/** The `mcp-param-*` headers (lower case names, encoded values) for a call with `args` to a tool annotated with `params`. */
export function mirroredHeaders(params: readonly HeaderParam[], args: unknown): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const { header, path } of params) {
    let value: unknown = args;
    for (const step of path) value = isObject(value) && Object.hasOwn(value, step) ? value[step] : undefined;
    const text = headerText(value);
    if (text !== undefined) headers[`mcp-param-${header.toLowerCase()}`] = encodeHeaderValue(text);
  }
  return headers;
}

/** Requests whose `Mcp-Name` header names what they are about, and the param that names it (client and server side alike). */
export const NAMED_BY: Readonly<Record<string, string>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  // The tasks extension (io.modelcontextprotocol/tasks) names the task, so a load balancer can find the instance that holds it.
  'tasks/get': 'taskId',
  'tasks/update': 'taskId',
  'tasks/cancel': 'taskId',
};

/** `mcp-method` and, for the requests that have one, `mcp-name` (encoded), for a message with `method` and `params`. */
export function standardHeaders(method: string, params: Params | undefined): Record<string, string> {
  const headers: Record<string, string> = { 'mcp-method': method };
  const field = NAMED_BY[method];
  const name = field === undefined ? undefined : params?.[field];
  if (typeof name === 'string') headers['mcp-name'] = encodeHeaderValue(name);
  return headers;
}
