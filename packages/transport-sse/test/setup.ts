import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createChannelPair, createProxy, type Channel, type LinkMode, type Logger, type Proxy } from '@mcproxy/core';
import { asTransport, connectSdkClient, createFixtureServer, memoryUpstream, type MemoryUpstream, type Teardown } from '@mcproxy/testing';
import { serveSse, type ServeSseOptions, type SseServer } from '../src/index.js';

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

/** Sampling answers that say who answered and what it was asked. */
const answerAs =
  (name: string) =>
  (prompt: string): string =>
    `${name} read "${prompt}"`;

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
    return connectSdkClient(t, asTransport(far), answerAs(name));
  };
  return { proxy, client };
}

/** A real SDK client over the legacy SSE transport that answers sampling with `name` and the prompt. */
export async function connectClient(t: Teardown, url: string, name = 'a client'): Promise<{ client: Client; transport: SSEClientTransport }> {
  const transport = new SSEClientTransport(new URL(url));
  return { client: await connectSdkClient(t, transport, answerAs(name)), transport };
}
