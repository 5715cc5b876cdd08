import { JSONRPCErrorCode, isJSONRPCRequest, isJSONRPCResponse, type JSONRPCError } from 'json-rpc-2.0';

export { JSONRPCErrorCode };
export type { JSONRPCError };

/** A JSON-RPC id as MCP allows it: a string or a number (`0` and `""` included). */
export type RequestId = string | number;

/** Request and notification parameters: MCP only ever uses objects. */
export type Params = Record<string, unknown>;

export interface Request {
  jsonrpc: '2.0';
  id: RequestId;
  method: string;
  params?: Params;
}

export interface Notification {
  jsonrpc: '2.0';
  method: string;
  params?: Params;
}

export interface ResultResponse {
  jsonrpc: '2.0';
  id: RequestId;
  result: Params;
  error?: undefined;
}

export interface ErrorResponse {
  jsonrpc: '2.0';
  id: RequestId | null;
  error: JSONRPCError;
  result?: undefined;
}

export type Response = ResultResponse | ErrorResponse;
export type Message = Request | Notification | Response;

/** The outcome of a request as middleware sees it: a result or an error, never an id. Ids belong to core, which puts the right one back on the wire. */
export type Reply = { result: Params; error?: undefined } | { error: JSONRPCError; result?: undefined };

export type Classified =
  | { kind: 'request'; message: Request }
  | { kind: 'notification'; message: Notification }
  | { kind: 'response'; message: Response }
  | { kind: 'invalid'; id: RequestId | null; reason: string };

const isId = (id: unknown): id is RequestId => typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
/** A JSON object (not null, not an array): the shape of params, results and `_meta`. */
export const isObject = (v: unknown): v is Params => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Sorts one decoded value off the wire into request, notification or response,
 * or says why it is none of them (so the caller can answer -32600 with the id
 * when one can be read). Ids are checked by type, never by truthiness.
 */
export function classify(value: unknown): Classified {
  if (Array.isArray(value)) return { kind: 'invalid', id: null, reason: 'batches are not part of MCP (removed in 2025-06-18): send one message at a time' };
  if (!isObject(value)) return { kind: 'invalid', id: null, reason: 'a JSON-RPC message must be an object' };
  const id = isId(value.id) ? value.id : null;
  if (value.jsonrpc !== '2.0') return { kind: 'invalid', id, reason: 'jsonrpc must be "2.0"' };
  if (value.params !== undefined && !isObject(value.params)) {
    return { kind: 'invalid', id, reason: 'params must be an object' };
  }
  if (isJSONRPCRequest(value)) {
    if (typeof value.method !== 'string') return { kind: 'invalid', id, reason: 'method must be a string' };
    if (!('id' in value) || value.id === undefined) return { kind: 'notification', message: value as Notification };
    if (!isId(value.id)) return { kind: 'invalid', id: null, reason: 'a request id must be a string or a number' };
    return { kind: 'request', message: value as Request };
  }
  if (isJSONRPCResponse(value)) {
    if (value.error !== undefined) {
      const e = value.error as unknown;
      if (!isObject(e) || typeof e.code !== 'number' || typeof e.message !== 'string') {
        return { kind: 'invalid', id, reason: 'error must have a numeric code and a string message' };
      }
      if (value.id !== null && !isId(value.id)) return { kind: 'invalid', id: null, reason: 'bad response id' };
    } else if (!isId(value.id) || !isObject(value.result)) {
      return { kind: 'invalid', id, reason: 'a result response needs an id and an object result' };
    }
    return { kind: 'response', message: value as Response };
  }
  return { kind: 'invalid', id, reason: 'not a request, notification or response' };
}

export const isRequest = (m: Message): m is Request => 'method' in m && 'id' in m && m.id !== undefined;

/** A reply that is an error, with `data` only when there is some. */
export function errorReply(code: number, message: string, data?: Record<string, unknown>): Reply {
  return { error: data === undefined ? { code, message } : { code, message, data } };
}

/** Puts an id back on a reply to make the wire response. */
export function toResponse(id: RequestId, reply: Reply): Response {
  return reply.error !== undefined ? { jsonrpc: '2.0', id, error: reply.error } : { jsonrpc: '2.0', id, result: reply.result };
}
