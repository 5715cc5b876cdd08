import type { Channel, Message } from '@mcproxy/core';
import { until } from './teardown.js';

/**
 * Starts an upstream channel as a bare client would: every message it
 * delivers is kept in the list returned, and `initialize` (at
 * `protocolVersion`) has been answered. For tests that look at the
 * messages a transport hands on, not at what an SDK client makes of them.
 */
export async function initializedChannel(channel: Channel, protocolVersion = '2025-11-25'): Promise<Message[]> {
  const got: Message[] = [];
  channel.onmessage = (m) => void got.push(m);
  await channel.start();
  await channel.send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
  await until(() => got.length === 1, 'the initialize answer');
  return got;
}

/**
 * An upstream on a bare channel, with no copy on the way (a message kept as
 * bytes stays so): every message the proxy sends goes to `heard`, and each
 * request is answered with the result `answer` gives, a tick later.
 */
export function answeringChannel(
  answer: (request: Message & { id: string | number; method: string }) => Record<string, unknown>,
  heard?: (message: Message) => void,
): Channel {
  const channel: Channel = {
    async start() {},
    async close() {},
    async send(message) {
      heard?.(message);
      if (!('method' in message) || !('id' in message) || message.id === undefined || message.id === null) return;
      const request = message as Message & { id: string | number; method: string };
      const result = answer(request);
      queueMicrotask(() => channel.onmessage?.({ jsonrpc: '2.0', id: request.id, result } as Message));
    },
  };
  return channel;
}
