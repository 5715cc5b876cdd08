import type { Transport } from '@modelcontextprotocol/server';

const ENVELOPE_VERSION = 'io.modelcontextprotocol/protocolVersion';

/**
 * Wraps a server transport so the server behind it is a 2025-era one: a
 * `server/discover` is answered -32601 (the method did not exist before
 * 2026-07-28) and a request with a 2026-07-28 envelope -32022 naming the
 * 2025 revision, without reaching the server; everything else passes.
 */
export function legacyOnly(inner: Transport): Transport {
  const refuse = (message: { id?: unknown; method?: unknown; params?: { _meta?: Record<string, unknown> } }): boolean => {
    if (message.id === undefined || typeof message.method !== 'string') return false;
    const id = message.id as string | number;
    if (message.method === 'server/discover') {
      void inner.send({ jsonrpc: '2.0', id, error: { code: -32601, message: 'Method not found' } });
      return true;
    }
    if (message.params?._meta?.[ENVELOPE_VERSION] !== undefined && message.method !== 'initialize') {
      void inner.send({ jsonrpc: '2.0', id, error: { code: -32022, message: 'Unsupported protocol version', data: { supported: ['2025-11-25'] } } });
      return true;
    }
    return false;
  };
  const outer: Transport = {
    start: () => inner.start(),
    send: (message, options) => inner.send(message, options),
    close: () => inner.close(),
  };
  inner.onmessage = (message, extra) => {
    if (!refuse(message as never)) outer.onmessage?.(message, extra);
  };
  inner.onclose = () => outer.onclose?.();
  inner.onerror = (error) => outer.onerror?.(error);
  return outer;
}
