import {
  createChannelPair,
  errorReply,
  HOPS_META_KEY,
  JSONRPCErrorCode,
  LEGACY_VERSIONS,
  MODERN_VERSION,
  withoutEnvelope,
  type Message,
  type Params,
  type Reply,
  type UpstreamSpec,
} from '@mcproxy/core';

/** A tool the scripted upstream lists and answers. */
export interface ScriptedTool {
  name: string;
  description?: string;
  /** Defaults to `{ type: 'object' }`. */
  inputSchema?: Params;
  /** Answers `tools/call`: a string becomes one text item; without `call` the tool echoes its arguments as JSON text. */
  call?: (args: Params) => string | Params | Promise<string | Params>;
}

/**
 * What an upstream does. `handle` sees every request first (after the
 * handshake) and may answer it; `undefined` leaves it to the defaults:
 * `tools/list` and `tools/call` from `tools`, `ping`, and -32601 for the rest.
 */
export interface UpstreamScript {
  tools?: ScriptedTool[];
  handle?: (method: string, params: Params) => Reply | undefined | Promise<Reply | undefined>;
  /** The upstream's `name` and `version` (default `{ name: 'test-upstream', version: '1.0.0' }`). */
  serverInfo?: Params;
}

/** One message an upstream received, params without the 2026-07-28 envelope or the proxy's hop list. */
export interface Received {
  upstream: string;
  kind: 'request' | 'notification';
  method: string;
  params: Params;
}

/** A scripted upstream as core sees it, plus a way to speak first. */
export interface ScriptedUpstream extends UpstreamSpec {
  /** Sends a notification from the newest link this upstream has open (legacy sessions hear it). */
  notify(method: string, params?: Params): Promise<void>;
}

/** Handshake traffic is the proxy's business, not the middleware's: it is answered but not recorded. */
const HANDSHAKE = new Set(['initialize', 'notifications/initialized', 'server/discover']);

/** The params as the middleware left them: what core adds on the way out (envelope, hops) taken off. */
function asSent(params: Params): Params {
  const out = withoutEnvelope(params) ?? {};
  const meta = out._meta as Params | undefined;
  if (meta === undefined || !(HOPS_META_KEY in meta)) return out;
  const { [HOPS_META_KEY]: _hops, ...rest } = meta;
  const { _meta: _dropped, ...others } = out;
  return Object.keys(rest).length > 0 ? { ...others, _meta: rest } : others;
}

const text = (value: string): Params => ({ content: [{ type: 'text', text: value }] });

async function byDefault(script: UpstreamScript, method: string, params: Params): Promise<Reply> {
  const tools = script.tools ?? [];
  if (method === 'ping') return { result: {} };
  if (method === 'tools/list') {
    return {
      result: {
        tools: tools.map(({ name, description, inputSchema }) => ({
          name,
          ...(description === undefined ? {} : { description }),
          inputSchema: inputSchema ?? { type: 'object' },
        })),
      },
    };
  }
  if (method === 'tools/call') {
    const tool = tools.find((t) => t.name === params.name);
    if (tool === undefined) return errorReply(JSONRPCErrorCode.InvalidParams, `Unknown tool: ${String(params.name)}`);
    const args = (params.arguments ?? {}) as Params;
    const out = tool.call === undefined ? JSON.stringify(args) : await tool.call(args);
    return { result: typeof out === 'string' ? text(out) : out };
  }
  return errorReply(JSONRPCErrorCode.MethodNotFound, `Method not found: ${method}`);
}

/**
 * An upstream in memory that speaks both eras: it answers `initialize` for
 * legacy sessions and `server/discover` for modern requests, then runs the
 * script; everything else it receives is pushed to `received`.
 */
export function scriptedUpstream(name: string, script: UpstreamScript, received: Received[]): ScriptedUpstream {
  const serverInfo = script.serverInfo ?? { name: 'test-upstream', version: '1.0.0' };
  const capabilities = { tools: { listChanged: true } };
  let speak: ((m: Message) => Promise<void>) | undefined;
  const answer = async (method: string, params: Params): Promise<Reply> => {
    if (method === 'initialize') {
      const asked =
        typeof params.protocolVersion === 'string' && LEGACY_VERSIONS.includes(params.protocolVersion) ? params.protocolVersion : LEGACY_VERSIONS[0];
      return { result: { protocolVersion: asked, capabilities, serverInfo } };
    }
    if (method === 'server/discover') {
      return { result: { resultType: 'complete', supportedVersions: [MODERN_VERSION, ...LEGACY_VERSIONS], capabilities, serverInfo } };
    }
    return (await script.handle?.(method, params)) ?? byDefault(script, method, params);
  };
  return {
    name,
    mode: 'per-session',
    async notify(method, params = {}) {
      if (speak === undefined) throw new Error(`upstream "${name}" has no link open yet: make a request first`);
      await speak({ jsonrpc: '2.0', method, params });
    },
    async connect() {
      const [ours, theirs] = createChannelPair();
      speak = (m) => theirs.send(m);
      theirs.onmessage = (m) => {
        if (!('method' in m)) return;
        const params = (m.params ?? {}) as Params;
        const isRequest = 'id' in m;
        if (!HANDSHAKE.has(m.method)) received.push({ upstream: name, kind: isRequest ? 'request' : 'notification', method: m.method, params: asSent(params) });
        if (!isRequest) return;
        void answer(m.method, params)
          .catch((err: unknown) => errorReply(JSONRPCErrorCode.InternalError, err instanceof Error ? err.message : String(err)))
          .then((reply) => theirs.send({ jsonrpc: '2.0', id: m.id, ...reply } as Message));
      };
      await theirs.start();
      return ours;
    },
  };
}
