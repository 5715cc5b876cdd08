import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { createChannelPair, createProxy, type Channel, type LinkMode, type Logger, type Proxy } from '@mcproxy/core';
import { asTransport, createFixtureServer, memoryUpstream, type MemoryUpstream } from '@mcproxy/testing';
import { serveSse, type ServeSseOptions, type SseServer } from '../src/index.js';
import { Teardown } from './util.js';

/** What happened upstream: `wait` calls that started and that were cancelled, and links (servers) closed. */
export interface WaitLog {
  entered: number;
  cancelled: number;
  closed: number;
}

/**
 * The conformance fixture plus a `wait` tool that runs until it is
 * cancelled, so tests can see a cancellation (or a closed session) reach
 * the upstream. `log` counts what happened to it across every instance.
 */
export function buildUpstream(log: WaitLog): McpServer {
  const server = createFixtureServer();
  server.registerTool('wait', { description: 'Runs until cancelled.' }, async (extra) => {
    log.entered++;
    await new Promise<void>((resolve) => {
      if (extra.signal.aborted) resolve();
      extra.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    log.cancelled++;
    return { content: [{ type: 'text', text: 'cancelled' }] };
  });
  server.server.onclose = () => void log.closed++;
  return server;
}

export interface Served {
  proxy: Proxy;
  sse: SseServer;
  upstream: MemoryUpstream;
  waits: WaitLog;
}

/** A proxy in front of the fixture (in memory), served with `serveSse` on 127.0.0.1 port 0. */
export async function serveProxy(t: Teardown, opts: { mode?: LinkMode; sse?: ServeSseOptions; id?: string } = {}): Promise<Served> {
  const waits: WaitLog = { entered: 0, cancelled: 0, closed: 0 };
  const upstream = memoryUpstream('fixture', () => buildUpstream(waits), opts.mode);
  const proxy = createProxy({ upstreams: [upstream], id: opts.id });
  t.add(() => proxy.close());
  const sse = await serveSse(proxy, opts.sse);
  t.add(() => sse.close());
  return { proxy, sse, upstream, waits };
}

/** A sampling handler for SDK clients: answers with who answered and what it was asked. */
function answerSampling(client: Client, name: string): void {
  client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
    const first = request.params.messages[0]?.content;
    const prompt = first !== undefined && 'text' in first ? String(first.text) : '';
    return { role: 'assistant', model: 'test', content: { type: 'text', text: `${name} read "${prompt}"` } };
  });
}

/**
 * A proxy whose one upstream, `up`, is reached with `connect` (the client
 * side under test), and a way to add in-memory SDK clients to it that
 * answer sampling.
 */
export function proxyTo(t: Teardown, connect: () => Promise<Channel>, opts: { mode?: LinkMode; log?: Logger; id?: string } = {}) {
  const proxy = createProxy({ upstreams: [{ name: 'up', mode: opts.mode ?? 'per-session', connect }], log: opts.log, id: opts.id });
  t.add(() => proxy.close());
  const client = async (name = 'a client'): Promise<Client> => {
    const [near, far] = createChannelPair();
    await proxy.accept(near);
    const c = new Client({ name: 'test-client', version: '1.0.0' }, { capabilities: { sampling: {} } });
    answerSampling(c, name);
    await c.connect(asTransport(far));
    t.add(() => c.close());
    return c;
  };
  return { proxy, client };
}

/** A real SDK client over the legacy SSE transport that answers sampling with `name`. */
export async function connectClient(t: Teardown, url: string, name = 'a client'): Promise<{ client: Client; transport: SSEClientTransport }> {
  const client = new Client({ name: 'test-client', version: '1.0.0' }, { capabilities: { sampling: {} } });
  answerSampling(client, name);
  const transport = new SSEClientTransport(new URL(url));
  await client.connect(transport);
  t.add(() => client.close());
  return { client, transport };
}

/** The text of the first content block of a tool result. */
export function textOf(result: unknown): string | undefined {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content;
  return content?.[0]?.text;
}
