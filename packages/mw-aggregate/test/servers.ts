import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { createProxy, silentLogger, type Proxy } from '@mcproxy/core';
import { memoryClient, type MemoryUpstream } from '@mcproxy/testing';
import { aggregate, type AggregateOptions } from '../src/index.js';

let proxy: Proxy | undefined;

/** Closes the proxy the last `start` made (call it in afterEach). */
export const stop = async (): Promise<void> => {
  await proxy?.close();
  proxy = undefined;
};

export const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });

/** A server whose tools answer with "<server>:<tool>", so a test sees who answered. */
export function toolServer(name: string, tools: string[], extra?: (s: McpServer) => void): () => McpServer {
  return () => {
    const s = new McpServer({ name, version: '1.0.0' }, { instructions: `use ${name} well`, capabilities: { logging: {} } });
    for (const t of tools) s.registerTool(t, { description: `${t} of ${name}` }, async () => text(`${name}:${t}`));
    extra?.(s);
    return s;
  };
}

/** A proxy with only aggregate in its chain, and a client (that offers sampling) connected to it. */
export async function start(upstreams: MemoryUpstream[], options: AggregateOptions = {}): Promise<Client> {
  await stop();
  const mw = await aggregate(options, { log: silentLogger });
  proxy = createProxy({ upstreams, middleware: [mw] });
  return memoryClient(proxy, { sampling: {} });
}

export const textOf = (r: unknown): string => (r as { content: Array<{ text: string }> }).content[0]?.text ?? '';
