import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { createProxy, type Channel, type LinkMode, type Proxy } from '@mcproxy/core';
import { serveStreamableHttp, type HttpServer, type ServeStreamableHttpOptions } from '../src/index.js';
import { createUpstreamServer, type UpstreamHooks } from './upstream-server.js';

/** Things a test opened, closed in reverse order in `afterEach`. */
export class Teardown {
  private readonly steps: Array<() => Promise<unknown>> = [];

  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) await step().catch(() => undefined);
  }
}

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
export async function serveProxy(
  t: Teardown, opts: { hooks?: UpstreamHooks; mode?: LinkMode; http?: ServeStreamableHttpOptions } = {},
): Promise<Served> {
  const upstreams: McpServer[] = [];
  let closed = 0;
  const proxy = createProxy({
    upstreams: [{
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
    }],
  });
  t.add(() => proxy.close());
  const http = await serveStreamableHttp(proxy, opts.http);
  t.add(() => http.close());
  return { proxy, http, upstreams, closedLinks: () => closed };
}

/** A real SDK client over Streamable HTTP that answers sampling with `name`. */
export async function connectClient(t: Teardown, url: string, name = 'a client', fetchFn?: typeof fetch): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name: 'test-client', version: '1.0.0' }, { capabilities: { sampling: {} } });
  client.setRequestHandler(CreateMessageRequestSchema, async () => ({
    role: 'assistant', model: 'test', content: { type: 'text', text: name },
  }));
  const transport = new StreamableHTTPClientTransport(new URL(url), fetchFn === undefined ? {} : { fetch: fetchFn });
  await client.connect(transport);
  t.add(() => client.close());
  return { client, transport };
}

/** The text of the first content block of a tool result. */
export function textOf(result: unknown): string | undefined {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content;
  return content?.[0]?.text;
}
