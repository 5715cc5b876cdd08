import {
  createProxy,
  silentLogger,
  type Era,
  type Logger,
  type Middleware,
  type MiddlewareFactory,
  type Notification,
  type Params,
  type Reply,
} from '@mcproxy/core';
import { connectClient, type ClientScript } from './client.js';
import { scriptedUpstream, type Received, type ScriptedUpstream, type UpstreamScript } from './upstream.js';

export interface KitOptions {
  /** `legacy` (initialize, then requests on a session; the default) or `modern` (2026-07-28: each request carries its envelope). */
  era?: Era;
  /** The one upstream, named `upstream`. */
  upstream?: UpstreamScript;
  /** Several upstreams by name, in order (instead of `upstream`): a routing middleware sets `ctx.upstream`. */
  upstreams?: Record<string, UpstreamScript>;
  client?: ClientScript;
  /** Where `ctx.log` goes (default: nowhere). */
  log?: Logger;
  /** How long a call may wait for its answer before it fails the test (default 5000 ms). */
  timeoutMs?: number;
}

/** A proxy with your middleware between a test client and scripted upstreams. */
export interface Kit {
  /** Sends a request through the chain and resolves to its reply: `{ result }` or `{ error }`. */
  call(method: string, params?: Params): Promise<Reply>;
  /** `tools/call` of `name` with `args`. */
  callTool(name: string, args?: Params): Promise<Reply>;
  /** Sends a notification from the client. */
  notify(method: string, params?: Params): Promise<void>;
  /** Sends a notification from an upstream toward the client (legacy: the session hears it). */
  notifyFromUpstream(method: string, params?: Params, upstream?: string): Promise<void>;
  /** Everything the upstreams received after the handshake, oldest first, params as the middleware left them (without the 2026-07-28 envelope and hop list core adds). */
  readonly received: Received[];
  /** What the upstreams received of `method`, params only. */
  sent(method: string): Params[];
  /** Notifications the client heard. */
  readonly notifications: Notification[];
  close(): Promise<void>;
}

/**
 * Puts `middleware` (one, or a chain: first = nearest the client) between
 * a test client and scripted upstreams, all in memory, and returns a kit to
 * drive it. Close it when done.
 *
 * @example
 * const kit = await testMiddleware(tagResults, { upstream: { tools: [{ name: 'echo' }] } });
 * const reply = await kit.callTool('echo', { text: 'hi' });
 * await kit.close();
 */
export async function testMiddleware(middleware: Middleware | readonly Middleware[], options: KitOptions = {}): Promise<Kit> {
  const received: Received[] = [];
  const scripts = options.upstreams ?? { upstream: options.upstream ?? {} };
  const upstreams = new Map<string, ScriptedUpstream>(Object.entries(scripts).map(([name, script]) => [name, scriptedUpstream(name, script, received)]));
  const proxy = createProxy({
    upstreams: [...upstreams.values()],
    middleware: typeof middleware === 'function' ? [middleware] : middleware,
    log: options.log ?? silentLogger,
  });
  const client = await connectClient(proxy, options.era ?? 'legacy', options.client ?? {}, options.timeoutMs ?? 5000);
  return {
    call: (method, params) => client.request(method, params),
    callTool: (name, args = {}) => client.request('tools/call', { name, arguments: args }),
    notify: (method, params) => client.notify(method, params),
    async notifyFromUpstream(method, params, upstream) {
      const target = upstream === undefined ? [...upstreams.values()][0] : upstreams.get(upstream);
      if (target === undefined) throw new Error(`no upstream named "${String(upstream)}"`);
      await target.notify(method, params);
    },
    received,
    sent: (method) => received.filter((r) => r.method === method).map((r) => r.params),
    notifications: client.notifications,
    async close() {
      await client.close();
      await proxy.close();
    },
  };
}

/**
 * Runs a factory the way a pipeline file's `use:` does, with options and a
 * logger, so a test covers the options check too.
 *
 * @example
 * const mw = await fromFactory(myFactory, { prefix: '> ' });
 */
export async function fromFactory(factory: MiddlewareFactory, options?: unknown, log: Logger = silentLogger): Promise<Middleware> {
  return factory(options ?? {}, { log });
}
