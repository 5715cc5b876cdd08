import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createProxy, type Logger, type Middleware, type Principal, type Proxy, type UpstreamSpec } from '@mcproxy/core';
import { memoryUpstream, type Teardown } from '@mcproxy/testing';
import { serveStreamableHttp, type HttpServer, type ServeStreamableHttpOptions } from '@mcproxy/transport-streamable-http';
import { createAuthenticator, type AuthFailureReason, type AuthOptions } from '../src/index.js';

/** An upstream with one tool, `hello`. */
export const helloServer = (): McpServer => {
  const server = new McpServer({ name: 'upstream', version: '1.0.0' });
  server.registerTool('hello', { description: 'says hello' }, () => ({ content: [{ type: 'text', text: 'hello' }] }));
  return server;
};

export interface Guarded {
  proxy: Proxy;
  http: HttpServer;
  /** The principal each request reached the chain with, in order. */
  seen: Array<{ method: string; principal: Principal | undefined }>;
  failures: AuthFailureReason[];
}

/** A proxy with one in-memory upstream (a legacy one with `hello` unless told), served over streamable HTTP on 127.0.0.1:0 behind `auth`. */
export async function guardedProxy(
  t: Teardown,
  auth: AuthOptions,
  options: { log?: Logger; http?: ServeStreamableHttpOptions; middleware?: Middleware[]; upstream?: UpstreamSpec } = {},
): Promise<Guarded> {
  const seen: Guarded['seen'] = [];
  const failures: AuthFailureReason[] = [];
  const record: Middleware = async function record(ctx, next) {
    if (ctx.kind === 'request' && ctx.direction === 'upstream') seen.push({ method: ctx.message.method, principal: ctx.session.principal });
    return next();
  };
  const proxy = createProxy({
    upstreams: [options.upstream ?? memoryUpstream('up', helloServer)],
    middleware: [record, ...(options.middleware ?? [])],
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  t.add(() => proxy.close());
  const authenticator = createAuthenticator(auth, { onFailure: (r) => failures.push(r), ...(options.log === undefined ? {} : { log: options.log }) });
  const http = await serveStreamableHttp(proxy, { auth: authenticator, ...options.http, ...(options.log === undefined ? {} : { log: options.log }) });
  t.add(() => http.close());
  return { proxy, http, seen, failures };
}
