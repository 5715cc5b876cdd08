import {
  createChannelPair,
  errorReply,
  JSONRPCErrorCode,
  LEGACY_VERSIONS,
  META,
  MODERN_VERSION,
  type Era,
  type Message,
  type Notification,
  type Params,
  type Proxy,
  type Reply,
} from '@mcproxy/core';

/** Who the test client says it is, in either era. */
export interface ClientScript {
  /** Default `{ name: 'test-client', version: '1.0.0' }`. */
  info?: Params;
  /** Default `{}`. */
  capabilities?: Params;
}

/** A client of the proxy that speaks one era and keeps every notification it hears. */
export interface TestClient {
  request(method: string, params?: Params): Promise<Reply>;
  notify(method: string, params?: Params): Promise<void>;
  readonly notifications: Notification[];
  close(): Promise<void>;
}

/**
 * Connects a client of `era` to `proxy` over an in-memory channel pair. A
 * legacy client initializes first, as a real one does; a modern one puts
 * the 2026-07-28 envelope on every request. Requests the proxy sends it
 * (an upstream's `ping` or `roots/list`) are answered: `{}` for a ping,
 * -32601 for the rest.
 */
export async function connectClient(proxy: Proxy, era: Era, script: ClientScript, timeoutMs: number): Promise<TestClient> {
  const info = script.info ?? { name: 'test-client', version: '1.0.0' };
  const capabilities = script.capabilities ?? {};
  const [ours, theirs] = createChannelPair();
  await proxy.accept(ours, undefined, era === 'modern' ? { era } : undefined);
  const waiting = new Map<number, (reply: Reply) => void>();
  const notifications: Notification[] = [];
  theirs.onmessage = (m) => {
    if ('method' in m && 'id' in m) {
      const reply = m.method === 'ping' ? { result: {} } : errorReply(JSONRPCErrorCode.MethodNotFound, `the test client does not answer ${m.method}`);
      void theirs.send({ jsonrpc: '2.0', id: m.id, ...reply } as Message);
    } else if ('method' in m) notifications.push(m);
    else if (typeof m.id === 'number') waiting.get(m.id)?.(m.error !== undefined ? { error: m.error } : { result: m.result as Params });
  };
  await theirs.start();
  let last = 0;
  const request = (method: string, params: Params = {}): Promise<Reply> => {
    const id = ++last;
    const sent =
      era === 'modern'
        ? {
            ...params,
            _meta: {
              ...(params._meta as Params | undefined),
              [META.protocolVersion]: MODERN_VERSION,
              [META.clientInfo]: info,
              [META.clientCapabilities]: capabilities,
            },
          }
        : params;
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`${method} got no answer in ${timeoutMs} ms: does the middleware return next()'s reply (or its own)?`));
      }, timeoutMs);
      waiting.set(id, (reply) => {
        clearTimeout(timer);
        waiting.delete(id);
        resolve(reply);
      });
      theirs.send({ jsonrpc: '2.0', id, method, params: sent }).catch(reject);
    });
  };
  const notify = (method: string, params: Params = {}): Promise<void> => theirs.send({ jsonrpc: '2.0', method, params });
  if (era === 'legacy') {
    const init = await request('initialize', { protocolVersion: LEGACY_VERSIONS[0], capabilities, clientInfo: info });
    if (init.error !== undefined) throw new Error(`initialize failed: ${init.error.message}`);
    await notify('notifications/initialized');
  }
  return { request, notify, notifications, close: () => theirs.close() };
}
