import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { createChannelPair, type Channel, type LinkMode, type Proxy, type UpstreamSpec } from '@mcproxy/core';

/** An in-memory upstream: an SDK server built afresh for every link core opens. */
export interface MemoryUpstream extends UpstreamSpec {
  /** How many links core has opened to it. */
  readonly opened: number;
  /** The servers built so far, newest last (one per link). */
  readonly servers: ReadonlyArray<McpServer | Server>;
  /** From now on, connecting fails with this message (a dead upstream); `undefined` heals it. */
  fail(reason: string | undefined): void;
}

/**
 * Builds an upstream spec that serves `build()` over an in-memory channel
 * pair: no sockets, no processes. Per-session by default, like a URL upstream.
 */
export function memoryUpstream(name: string, build: () => McpServer | Server, mode: LinkMode = 'per-session'): MemoryUpstream {
  const servers: Array<McpServer | Server> = [];
  let failure: string | undefined;
  return {
    name,
    mode,
    get opened() {
      return servers.length;
    },
    servers,
    fail(reason) {
      failure = reason;
    },
    async connect() {
      if (failure !== undefined) throw new Error(failure);
      const [ours, theirs] = createChannelPair();
      const server = build();
      servers.push(server);
      await server.connect(asTransport(theirs));
      return ours;
    },
  };
}

/** Connects an SDK client to `proxy` over an in-memory channel pair and initializes it. */
export async function memoryClient(proxy: Proxy, capabilities: ClientCapabilities = {}): Promise<Client> {
  const [ours, theirs] = createChannelPair();
  await proxy.accept(ours);
  const client = new Client({ name: 'memory-client', version: '1.0.0' }, { capabilities });
  await client.connect(asTransport(theirs));
  return client;
}

/** A core channel is the SDK's Transport shape; only the id types are stricter on our side. */
export const asTransport = (channel: Channel): Transport => channel as unknown as Transport;
