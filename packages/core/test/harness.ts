import { createProxy, type LinkMode, type Message, type Middleware, type ProxyOptions, type Timeouts } from '../src/index.js';
import { type Wire, wirePair } from './wire.js';

export interface Harness {
  proxy: ReturnType<typeof createProxy>;
  /** Every link opened to the upstream, as the upstream sees it. */
  upstreams: Wire[];
  connects: number;
  client(): Promise<Wire>;
  /** A client that has done the handshake (the upstream answers it if it has to). */
  ready(capabilities?: Record<string, unknown>): Promise<Wire>;
}

const answered = new WeakSet<object>();

export async function harness(
  options: { mode?: LinkMode; middleware?: Middleware[]; timeouts?: Partial<Timeouts>; extra?: Partial<ProxyOptions> } = {},
): Promise<Harness> {
  const h: Harness = {
    upstreams: [],
    connects: 0,
    proxy: createProxy({
      upstreams: [
        {
          name: 'up',
          mode: options.mode ?? 'shared',
          connect: async () => {
            h.connects++;
            const [near, wire] = await wirePair();
            h.upstreams.push(wire);
            return near;
          },
        },
      ],
      middleware: options.middleware ?? [],
      timeouts: options.timeouts ?? {},
      ...options.extra,
    }),
    async client() {
      const [near, wire] = await wirePair();
      await h.proxy.accept(near);
      return wire;
    },
    async ready(capabilities = { sampling: {}, elicitation: {}, roots: {} }) {
      const c = await h.client();
      await c.send({
        jsonrpc: '2.0',
        id: 'init',
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities, clientInfo: { name: 't', version: '1' } },
      });
      await waitFor(() => {
        for (const up of h.upstreams) {
          for (const r of up.received) {
            if (!isMethod(r.message, 'initialize') || answered.has(r.message)) continue;
            answered.add(r.message);
            void up.send({
              jsonrpc: '2.0',
              id: idOf(r.message),
              result: { protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'up', version: '1' } },
            });
          }
        }
        return c.received.some((r) => !('method' in r.message) && r.message.id === 'init') ? true : undefined;
      });
      await c.response('init');
      await c.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      return c;
    },
  };
  return h;
}

export const isMethod = (m: Message, method: string): boolean => 'method' in m && m.method === method;

export function idOf(m: Message): string | number {
  if (!('id' in m) || m.id === undefined || m.id === null) throw new Error(`no id on ${JSON.stringify(m)}`);
  return m.id;
}

export async function waitFor<T>(get: () => T | undefined, tries = 200): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = get();
    if (v !== undefined) return v;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error('waited in vain');
}
