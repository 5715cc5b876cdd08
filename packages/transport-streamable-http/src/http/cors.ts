import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigError } from '@mcproxy/core';

/** CORS for browser clients (`serve.http.cors`). */
export interface CorsOptions {
  /** Origins (`https://app.example`) whose pages may call the endpoint; `['*']`: any (never with credentials). */
  origins: readonly string[];
  /** How long a browser may keep a preflight's answer, in seconds. Default 600. */
  maxAgeSec?: number;
}

/** Headers MCP clients send: a preflight that asks for others (besides `Mcp-Param-*`) is refused. */
const ALLOWED_HEADERS = [
  'accept',
  'authorization',
  'content-type',
  'last-event-id',
  'mcp-method',
  'mcp-name',
  'mcp-protocol-version',
  'mcp-session-id',
  'mcproxy-hops',
  'x-api-key',
];
/** What a browser page may read of an answer: the session id it must send back, and why it was refused. */
const EXPOSED = 'Mcp-Session-Id, MCP-Protocol-Version, WWW-Authenticate, Retry-After';
const METHODS = 'GET, POST, DELETE';

/** Answers preflights and marks answers for allowed origins; `undefined` origin lists mean CORS is off. */
export interface Cors {
  /** True when it answered the request (a preflight); else the request goes on, with the headers set when its Origin is allowed. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** The origins, for the DNS-rebinding guard to accept as well. */
  readonly origins: readonly string[];
}

/**
 * CORS as the Fetch standard describes it, for the MCP endpoint: a
 * preflight (`OPTIONS` with `Access-Control-Request-Method`) from an allowed
 * origin gets 204 with the methods and MCP headers allowed; from any other
 * origin, 403 with no CORS headers, so the browser stops there. A real
 * request from an allowed origin gets `Access-Control-Allow-Origin` (that
 * origin; `Vary: Origin`) and `Access-Control-Expose-Headers` naming
 * `Mcp-Session-Id`. Credentials (cookies) are never allowed: MCP clients
 * send an `Authorization` header, which a preflight covers.
 */
export function createCors(options: CorsOptions): Cors {
  const any = options.origins.includes('*');
  const allowed = new Set(
    options.origins
      .filter((o) => o !== '*')
      .map((entry) => {
        if (!URL.canParse(entry) || new URL(entry).origin !== entry.replace(/\/$/, '')) {
          throw new ConfigError(`cors.origins: "${entry}" is not an origin such as https://app.example (scheme, host and port only)`);
        }
        return new URL(entry).origin;
      }),
  );
  const maxAge = String(options.maxAgeSec ?? 600);
  const originOk = (origin: string): boolean => any || allowed.has(origin);
  return {
    origins: options.origins,
    handle(req, res) {
      const origin = req.headers.origin;
      const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
      if (typeof origin !== 'string' || !originOk(origin)) {
        if (!preflight) return false;
        res.writeHead(403, { 'Content-Type': 'text/plain', Vary: 'Origin' }).end('CORS: origin not allowed');
        return true;
      }
      const allowOrigin = any ? '*' : origin;
      if (!preflight) {
        res.setHeader('Access-Control-Allow-Origin', allowOrigin);
        res.setHeader('Access-Control-Expose-Headers', EXPOSED);
        res.setHeader('Vary', 'Origin');
        return false;
      }
      const asked = String(req.headers['access-control-request-headers'] ?? '')
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter((h) => h !== '');
      const refused = asked.filter((h) => !ALLOWED_HEADERS.includes(h) && !h.startsWith('mcp-param-'));
      if (refused.length > 0 || !METHODS.includes(String(req.headers['access-control-request-method']))) {
        res.writeHead(403, { 'Content-Type': 'text/plain', Vary: 'Origin' }).end('CORS: method or headers not allowed');
        return true;
      }
      res
        .writeHead(204, {
          'Access-Control-Allow-Origin': allowOrigin,
          'Access-Control-Allow-Methods': METHODS,
          'Access-Control-Allow-Headers': [...ALLOWED_HEADERS, ...asked.filter((h) => h.startsWith('mcp-param-'))].join(', '),
          'Access-Control-Max-Age': maxAge,
          Vary: 'Origin',
        })
        .end();
      return true;
    },
  };
}
