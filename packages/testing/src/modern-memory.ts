// In-memory 2026-07-28 upstreams and clients for middleware tests: no sockets, no processes.
import {
  createChannelPair,
  LEGACY_VERSIONS,
  McpErrorCode,
  META,
  MODERN_VERSION,
  type Message,
  type Notification,
  type Params,
  type Principal,
  type Proxy,
  type Reply,
  type UpstreamSpec,
} from '@mcproxy/core';

/** What a scripted upstream answers a request with (its discover is answered from `discover`). */
export type Handler = (method: string, params: Params) => Reply | Promise<Reply>;

/** A 2026-07-28 upstream in memory, scripted by a test, that keeps what it was sent. */
export interface ScriptedUpstream extends UpstreamSpec {
  /** Every request it received (envelope included), oldest first. */
  readonly received: Array<{ method: string; params: Params }>;
  /** Ids of `notifications/cancelled` it received. */
  readonly cancelled: unknown[];
  /** Sends `method` on each listen it has open, tagged with that listen's id, as a stateless server does. */
  announce(method: string, params?: Params): Promise<void>;
  /** What it received of `method`, params only. */
  sent(method: string): Params[];
}

/**
 * A modern upstream over `createChannelPair`: answers `server/discover`
 * with `discover` (merged over a complete, modern answer), every other
 * request with `handle`, and keeps `subscriptions/listen` open until it is
 * cancelled. `discover: 'legacy'` answers -32022 the way an upstream that
 * speaks only older revisions does; a function answers each `server/discover` itself.
 */
export function modernUpstream(name: string, discover: Params | 'legacy' | (() => Reply), handle: Handler = () => ({ result: {} })): ScriptedUpstream {
  const received: Array<{ method: string; params: Params }> = [];
  const cancelled: unknown[] = [];
  const listens = new Set<string | number>();
  let send: ((m: Message) => Promise<void>) | undefined;
  const answer = async (method: string, params: Params): Promise<Reply | undefined> => {
    if (method === 'server/discover') {
      if (typeof discover === 'function') return discover();
      if (discover === 'legacy')
        return { error: { code: McpErrorCode.UnsupportedProtocolVersion, message: 'Unsupported protocol version', data: { supported: [...LEGACY_VERSIONS] } } };
      return { result: { resultType: 'complete', supportedVersions: [MODERN_VERSION], capabilities: {}, ...discover } };
    }
    if (method === 'subscriptions/listen') return undefined;
    return handle(method, params);
  };
  return {
    name,
    mode: 'shared',
    received,
    cancelled,
    sent: (method) => received.filter((r) => r.method === method).map((r) => r.params),
    async announce(method, params = {}) {
      await Promise.all([...listens].map((id) => send?.({ jsonrpc: '2.0', method, params: { ...params, _meta: { [META.subscriptionId]: id } } })));
    },
    async connect() {
      const [ours, theirs] = createChannelPair();
      send = (m) => theirs.send(m);
      theirs.onmessage = (m) => {
        if (!('method' in m)) return;
        const params = (m.params ?? {}) as Params;
        if (!('id' in m)) {
          if (m.method === 'notifications/cancelled') {
            cancelled.push(params.requestId);
            listens.delete(params.requestId as string | number);
          }
          return;
        }
        received.push({ method: m.method, params });
        if (m.method === 'subscriptions/listen') listens.add(m.id);
        void Promise.resolve(answer(m.method, params)).then((reply) => reply && theirs.send({ jsonrpc: '2.0', id: m.id, ...reply } as Message));
      };
      await theirs.start();
      return ours;
    },
  };
}

/** A 2026-07-28 client of the proxy: each request carries the envelope; everything else it hears is kept. */
export interface ModernClient {
  request(method: string, params?: Params, capabilities?: Params): { id: number; reply: Promise<Reply> };
  ask(method: string, params?: Params): Promise<Reply>;
  cancel(id: number): Promise<void>;
  readonly notifications: Notification[];
}

/**
 * Connects a modern client to `proxy`; give `state` to share middleware
 * state with another, as modern HTTP requests do, and `principal` for what
 * an authenticating face would have named.
 */
export async function modernClient(proxy: Proxy, state?: Map<symbol | string, unknown>, principal?: Principal): Promise<ModernClient> {
  const [ours, theirs] = createChannelPair();
  await proxy.accept(ours, undefined, { era: 'modern', ...(state === undefined ? {} : { state }), ...(principal === undefined ? {} : { principal }) });
  const waiting = new Map<unknown, (r: Reply) => void>();
  const notifications: Notification[] = [];
  theirs.onmessage = (m) => {
    if ('method' in m && !('id' in m)) notifications.push(m);
    else if ('id' in m && !('method' in m)) waiting.get(m.id)?.(m.error !== undefined ? { error: m.error } : { result: m.result as Params });
  };
  await theirs.start();
  let last = 0;
  const client: ModernClient = {
    notifications,
    request(method, params = {}, capabilities = {}) {
      const id = ++last;
      const reply = new Promise<Reply>((resolve) => waiting.set(id, resolve));
      const _meta = {
        ...(params._meta as Params | undefined),
        [META.protocolVersion]: MODERN_VERSION,
        [META.clientInfo]: { name: 'modern-test', version: '1.0.0' },
        [META.clientCapabilities]: capabilities,
      };
      void theirs.send({ jsonrpc: '2.0', id, method, params: { ...params, _meta } });
      return { id, reply };
    },
    ask: (method, params) => client.request(method, params).reply,
    cancel: (id) => theirs.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id } }),
  };
  return client;
}

/** A tools/list answer with these names and hints. */
export const toolList = (names: string[], hints: Params = {}): Reply => ({
  result: { tools: names.map((n) => ({ name: n, inputSchema: { type: 'object' } })), ...hints },
});

export const whenTrue = async (check: () => boolean, ms = 1000): Promise<void> => {
  for (const end = Date.now() + ms; !check() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 5));
};
