import { ConfigError, createChannelPair, Peer, ProxyErrorCode, type Logger, type Proxy } from '@mcproxy/core';

/**
 * With `prefix: never`, two upstreams offering one name is a configuration
 * mistake, so it should stop mcproxy at startup rather than surface on a
 * client's first list. This opens one session inside the process, lists
 * tools and prompts through the whole chain, and throws a `ConfigError`
 * naming the name and both upstreams if aggregate reports a collision.
 * (Upstreams are opened for it; shared ones stay open for the clients.)
 */
export async function checkNameCollisions(proxy: Proxy, log: Logger): Promise<void> {
  const [ours, theirs] = createChannelPair();
  await proxy.accept(ours);
  const peer = new Peer({ channel: theirs, label: 'the startup check', errorData: {}, closedCode: ProxyErrorCode.SessionClosed, log });
  await peer.start();
  try {
    const hello = await peer.request('initialize', {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: 'mcproxy-startup-check', version: '1' },
    });
    if (hello.error !== undefined) {
      log.warn({ error: hello.error.message }, 'startup check: the upstreams could not be initialized; names will be checked on first use');
      return;
    }
    await peer.notify({ jsonrpc: '2.0', method: 'notifications/initialized' });
    for (const method of ['tools/list', 'prompts/list']) {
      const reply = await peer.request(method, {});
      const data = reply.error?.data as { collision?: unknown; upstreams?: unknown } | undefined;
      if (typeof data?.collision === 'string') throw new ConfigError(`pipeline: aggregate: ${reply.error?.message}`);
    }
  } finally {
    await peer.close('the startup check is done');
  }
}
