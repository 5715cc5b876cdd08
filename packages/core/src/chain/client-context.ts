import type { Params } from '../wire/jsonrpc.js';

/** The two families of MCP: `legacy` (initialize and sessions, up to 2025-11-25) and `modern` (2026-07-28: every request says who it is). */
export type Era = 'legacy' | 'modern';

/**
 * Who is asking, and how: what every request through the proxy carries, in both eras. A legacy
 * session captures it once from `initialize` and lends it to each of its requests; a modern request
 * brings its own in `_meta`. Middleware read `ctx.client` the same way in both eras.
 */
export interface ClientContext {
  readonly era: Era;
  /** The protocol revision the client speaks on this request, e.g. `2026-07-28`. */
  readonly protocolVersion: string;
  /** What the client can do for the server (sampling, elicitation, roots, extensions). */
  readonly capabilities: Params;
  /** The client's `name`, `version` and so on, as it said them (`{}` when it did not). */
  readonly info: Params;
  /** The least severe log level the client wants for this request (modern only; legacy sets it per session upstream). */
  readonly logLevel?: string;
  /** Set when the client has not said who it is (a 2025-era client before `initialize`, news toward a 2026-07-28 session that answers no request): only `era` is known. */
  readonly unstated?: true;
}

const UNSTATED: Readonly<Record<Era, ClientContext>> = {
  legacy: Object.freeze({ era: 'legacy', protocolVersion: '', capabilities: {}, info: {}, unstated: true }),
  modern: Object.freeze({ era: 'modern', protocolVersion: '', capabilities: {}, info: {}, unstated: true }),
};

/** The context of a client of `era` that has not said who it is. */
export const unstatedClient = (era: Era): ClientContext => UNSTATED[era];

/** Did the client declare this capability (e.g. `sampling`)? A client that said nothing is given the benefit of the doubt. */
export function declares(client: ClientContext | undefined, capability: string): boolean {
  return client === undefined || client.unstated === true || client.capabilities[capability] !== undefined;
}
