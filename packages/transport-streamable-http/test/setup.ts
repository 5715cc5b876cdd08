import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createProxy, type Channel, type LinkMode, type Proxy } from '@mcproxy/core';
import { connectSdkClient, type Teardown } from '@mcproxy/testing';
import { serveStreamableHttp, type HttpServer, type ServeStreamableHttpOptions } from '../src/index.js';
import { createUpstreamServer, type UpstreamHooks } from './upstream-server.js';

export interface Served {
  proxy: Proxy;
  http: HttpServer;
  /** Every upstream McpServer opened, one per link. */
  upstreams: McpServer[];
  /** How many upstream links have closed. */
  closedLinks(): number;
}

/**
 * A core proxy whose one upstream is an in-process SDK McpServer (reached
 * over an SDK in-memory pair), served with `serveStreamableHttp` on
 * 127.0.0.1 port 0.
 */
export async function serveProxy(t: Teardown, opts: { hooks?: UpstreamHooks; mode?: LinkMode; http?: ServeStreamableHttpOptions } = {}): Promise<Served> {
  const upstreams: McpServer[] = [];
  let closed = 0;
  const proxy = createProxy({
    upstreams: [
      {
        name: 'up',
        mode: opts.mode ?? 'per-session',
        connect: async () => {
          const server = createUpstreamServer(opts.hooks);
          const [near, far] = InMemoryTransport.createLinkedPair();
          await server.connect(far);
          server.server.onclose = () => void closed++;
          upstreams.push(server);
          return near as unknown as Channel;
        },
      },
    ],
  });
  t.add(() => proxy.close());
  const http = await serveStreamableHttp(proxy, opts.http);
  t.add(() => http.close());
  return { proxy, http, upstreams, closedLinks: () => closed };
}

/** A real SDK client over Streamable HTTP that answers sampling with `name`. */
export async function connectClient(
  t: Teardown,
  url: string,
  name = 'a client',
  fetchFn?: typeof fetch,
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(url), fetchFn === undefined ? {} : { fetch: fetchFn });
  return { client: await connectSdkClient(t, transport, () => name), transport };
}
