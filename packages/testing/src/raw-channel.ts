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
