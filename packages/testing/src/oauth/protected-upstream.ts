import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JWTPayload } from 'jose';
import { originOf, readBody, sendJson } from './http-util.js';

export interface ProtectedUpstreamOptions {
  /** Verifies an access token for an audience (a `TestAuthServer` is one). */
  authServer: { issuer: string; verify(token: string, audience: string): Promise<JWTPayload> };
  /** Scopes a token must carry (403 insufficient_scope otherwise). */
  requiredScopes?: string[];
  /** `scopes_supported` of its RFC 9728 metadata. */
  scopesSupported?: string[];
  /** MCP endpoint path, `/mcp` by default. */
  path?: string;
}

/** An MCP HTTP upstream that takes only the test AS's tokens; see README "Test authorization server". */
export interface ProtectedUpstream {
  /** `http://127.0.0.1:<port>/mcp` */
  readonly url: string;
  readonly resourceMetadataUrl: string;
  /** Every `Authorization` header it received (`''` when none), in order: proves what reached the upstream. */
  readonly seen: string[];
  /** Scopes a token must carry; change it to force a step-up. */
  requiredScopes: string[];
  /** The `resource` its metadata claims (the endpoint URL unless a test lies). */
  resource: string;
  close(): Promise<void>;
}

/**
 * Starts an MCP server (stateless streamable HTTP, SDK v1) that validates the
 * bearer token on every request against the test AS: issuer, audience (its
 * own URL) and scopes. Without a valid token it answers 401 with
 * `WWW-Authenticate: Bearer resource_metadata=…`; with too few scopes 403
 * `insufficient_scope`. It serves its RFC 9728 metadata, and its one tool
 * `whoami` returns the token's `sub`, `scope` and `aud` as JSON text.
 */
export async function startProtectedUpstream(options: ProtectedUpstreamOptions): Promise<ProtectedUpstream> {
  const path = options.path ?? '/mcp';
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { error: 'internal' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = originOf(server.address());
  const prmUrl = `${origin}/.well-known/oauth-protected-resource${path}`;
  const up: ProtectedUpstream = {
    url: `${origin}${path}`,
    resourceMetadataUrl: prmUrl,
    seen: [],
    requiredScopes: options.requiredScopes ?? [],
    resource: `${origin}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  function challenge(extra = ''): string {
    const scope = up.requiredScopes.length > 0 ? `, scope="${up.requiredScopes.join(' ')}"` : '';
    return `Bearer ${extra}resource_metadata="${prmUrl}"${scope}`;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    if (req.method === 'GET' && (url.pathname === `/.well-known/oauth-protected-resource${path}` || url.pathname === '/.well-known/oauth-protected-resource')) {
      return sendJson(res, 200, {
        resource: up.resource,
        authorization_servers: [options.authServer.issuer],
        bearer_methods_supported: ['header'],
        ...(options.scopesSupported ? { scopes_supported: options.scopesSupported } : {}),
      });
    }
    if (url.pathname !== path) return sendJson(res, 404, { error: 'not found' });
    const header = req.headers.authorization ?? '';
    up.seen.push(header);
    const token = /^Bearer (.+)$/i.exec(header)?.[1];
    let claims: JWTPayload;
    try {
      if (token === undefined) throw new Error('no token');
      claims = await options.authServer.verify(token, up.url);
    } catch {
      res.writeHead(401, { 'WWW-Authenticate': challenge() }).end();
      return;
    }
    const granted = new Set(String(claims.scope ?? '').split(' '));
    if (!up.requiredScopes.every((s) => granted.has(s))) {
      res.writeHead(403, { 'WWW-Authenticate': challenge('error="insufficient_scope", ') }).end();
      return;
    }
    const body = req.method === 'POST' ? JSON.parse(await readBody(req)) : undefined;
    const mcp = new McpServer({ name: 'protected-upstream', version: '1.0.0' });
    mcp.registerTool('whoami', { description: 'the caller as the token says' }, async () => ({
      content: [{ type: 'text', text: JSON.stringify({ sub: claims.sub, scope: claims.scope, aud: claims.aud }) }],
    }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  return up;
}
