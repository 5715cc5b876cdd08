/**
 * 2026-07-28 clients on a 2025-era upstream. The proxy owns the upstream's
 * `initialize` (declaring everything a modern client may answer), answers
 * `server/discover` from its result, turns what the upstream pushes during
 * a call into `input_required` rounds (see `BridgedCall`), lowers the
 * upstream's log level to the lowest any request asked for, and turns a
 * `subscriptions/listen` into reference-counted `resources/subscribe`.
 */
import { BridgedCall, PUSH_NEEDS } from './bridge-call.js';
import { bindingOf, discoverFromInitialize } from './resume.js';
import type { ParkedCalls } from './bridge-parked.js';
import type { ClientContext } from '../../chain/client-context.js';
import { ProxyErrorCode } from '../../wire/errors.js';
import { errorReply, isObject, JSONRPCErrorCode, type Notification, type Params, type Reply, type Request, type RequestId } from '../../wire/jsonrpc.js';
import type { Link } from '../../links/link.js';
import { Subscriptions } from '../legacy/subscriptions.js';
import type { Origin, Targets, UpstreamProtocol } from '../../links/upstream-side.js';
import { legacyTargets } from '../legacy/targets.js';
import { resumeCall } from './resume.js';
import { LEGACY_VERSIONS, listenFilterOf, LOG_LEVELS, MODERN_VERSIONS, MRTR_METHODS } from '../modern/modern.js';
import type { RequestOptions } from '../../wire/outgoing.js';
import type { MessageExtra } from '../../wire/channel.js';
import type { Session } from '../../proxy/session.js';
import type { Timeouts } from '../../wire/timeouts.js';

/** What a bridge link needs: where its calls park, and what the proxy says of itself in its `initialize`. */
export interface BridgeOptions {
  lot: ParkedCalls;
  clientInfo: Params;
  /** The client capabilities declared upstream: those of the requests this link serves (see `bridgeCapabilities`); set by `ready` when the link is opened ahead of its use. */
  capabilities?: Params;
}

/**
 * The upstream side of a bridge link: a 2025-era upstream serving 2026-07-28
 * requests, initialized by the proxy (see `ready`).
 */
export class LegacyUpstreamBridge implements UpstreamProtocol {
  readonly era = 'modern';
  /** Resource subscriptions the upstream holds for listens, per session. */
  private readonly subscriptions = new Subscriptions<Session>();
  private hello: Promise<Reply> | undefined;
  /** The level the upstream was last told with `logging/setLevel`. */
  private level: string | undefined;
  private readonly listens = new Set<() => void>();
  /** How many listens of each session hold each URI: a session is subscribed while one does. */
  private readonly held = new WeakMap<Session, Map<string, number>>();

  private readonly lot: ParkedCalls;

  constructor(
    private readonly link: Link,
    private readonly options: BridgeOptions,
  ) {
    this.lot = options.lot;
  }

  forward(_session: Session, method: string, params: Params | undefined, options: RequestOptions<Origin>, client: ClientContext | undefined): Promise<Reply> {
    return this.serve(method, params, options, client);
  }

  /** Nothing a 2026-07-28 client notifies means anything here (cancellations are the peer's). */
  async notify(): Promise<void> {}

  targets(message: Request | Notification, extra?: MessageExtra): Targets {
    return legacyTargets(this.link, this.subscriptions, message, extra);
  }

  detach(session: Session): void {
    for (const uri of this.subscriptions.dropSession(session)) void this.link.peer.request('resources/unsubscribe', { uri }).catch(() => undefined);
  }

  /**
   * Serves one modern request on the 2025-era upstream. `release` is called
   * once the link is no longer needed for it: at once for most requests,
   * when the upstream has answered for a call (which may be parked
   * meanwhile, round after round).
   */
  async serve(
    method: string,
    params: Params | undefined,
    options: RequestOptions<Origin>,
    client: ClientContext | undefined,
    release: () => void = () => undefined,
  ): Promise<Reply> {
    let kept = false;
    try {
      if (MRTR_METHODS.has(method) && params?.requestState !== undefined) return resumeCall(this.lot, this.link.name, method, params, options, client);
      const hello = await this.ready(options.timeouts);
      if (hello.error !== undefined) return hello;
      const init = hello.result ?? {};
      if (method === 'server/discover') return { result: discoverFromInitialize(init) };
      await this.setLevel(client?.logLevel, init, options.timeouts);
      if (method === 'subscriptions/listen') return await this.listen(params, options, init);
      if (!MRTR_METHODS.has(method)) return await this.link.peer.request(method, params, options);
      kept = true;
      return this.call(method, params, options, client, release);
    } finally {
      if (!kept) release();
    }
  }

  /**
   * A request the upstream sent: answered by the proxy (ping), or pushed
   * into the call it belongs to, which parks it for the client. One that
   * belongs to no bridged call (a roots/list after initialize, a request
   * during a list) has no client to ask and is refused.
   */
  answer(message: Request, _signal: AbortSignal, extra?: MessageExtra): Promise<Reply> {
    if (message.method === 'ping') return Promise.resolve({ result: {} });
    if (PUSH_NEEDS[message.method] === undefined) {
      return Promise.resolve(errorReply(JSONRPCErrorCode.MethodNotFound, `Method not found: ${message.method.slice(0, 100)}`));
    }
    const found = this.callOf(extra?.relatedRequestId);
    if (typeof found === 'string') return Promise.resolve(errorReply(ProxyErrorCode.Unattributable, found, { upstream: this.link.name }));
    return found.push(message.method, message.params, _signal);
  }

  /** The link closed: open listens end (their final answer is core's). */
  closed(): void {
    for (const end of [...this.listens]) end();
  }

  private callOf(related: RequestId | undefined): BridgedCall | string {
    const who = `mcproxy cannot ask a ${MODERN_VERSIONS[0]} client for this`;
    if (related !== undefined) {
      const call = this.link.peer.attribute(related, false)?.tag?.call as BridgedCall | undefined;
      return call ?? `${who}: the request it belongs to cannot answer input_required (only tools/call, prompts/get and resources/read can)`;
    }
    const calls = new Set(this.link.peer.tags().flatMap((t) => (t?.call === undefined ? [] : [t.call as BridgedCall])));
    if (calls.size === 1) return [...calls][0]!;
    if (calls.size === 0) return `${who}: no call is in flight`;
    return `${who}: ${calls.size} calls are in flight and the upstream's transport does not say which one this belongs to`;
  }

  /** Counts a listen of `session` taking (1) or letting go of (-1) `uri`; true when the session's first took it or its last let go. */
  private hold(session: Session, uri: string, delta: 1 | -1): boolean {
    const counts = this.held.get(session) ?? new Map<string, number>();
    this.held.set(session, counts);
    const now = (counts.get(uri) ?? 0) + delta;
    if (now <= 0) counts.delete(uri);
    else counts.set(uri, now);
    return delta > 0 ? now === 1 : now <= 0;
  }

  /** A fresh call that may be parked for input; the link is released when the upstream has answered it. */
  private async call(
    method: string,
    params: Params | undefined,
    options: RequestOptions<Origin>,
    client: ClientContext | undefined,
    release: () => void,
  ): Promise<Reply> {
    const tag = options.tag!;
    const binding = bindingOf(this.link.name, method, params, tag);
    // inputResponses without a state answer nothing: a fresh call, which ignores them (servers SHOULD ignore what they do not recognize).
    const { requestState: _state, inputResponses: _responses, ...rest } = params ?? {};
    const token = isObject(rest._meta) ? rest._meta.progressToken : undefined;
    const signal = options.signal ?? new AbortController().signal;
    const origin: Origin = { session: tag.session, downstreamId: tag.downstreamId };
    const call = new BridgedCall(binding, origin, this.lot);
    origin.call = call;
    call.attach(tag, client, options.onProgress, token);
    // A person may be answering between rounds: the parked call's own expiry bounds the wait, the hard limit the call.
    const max = options.timeouts?.maxMs ?? 600_000;
    this.link.peer
      .request(method, rest, {
        signal: call.controller.signal,
        tag: origin,
        timeouts: { requestMs: max, maxMs: max, resetOnProgress: false },
        onProgress: (p) => call.progress(p),
      })
      .then(
        (reply) => call.finish(reply),
        (err: unknown) => call.finish(errorReply(ProxyErrorCode.SessionClosed, `the call was cancelled: ${err instanceof Error ? err.message : String(err)}`)),
      )
      .finally(release);
    return call.next(signal);
  }

  /**
   * The proxy's own handshake with the upstream, once per link, declaring
   * the capabilities of the requests this link serves (`capabilities`, when
   * the link was opened before anyone knew them).
   */
  ready(timeouts: Timeouts | undefined, capabilities?: Params): Promise<Reply> {
    if (this.hello !== undefined) return this.hello;
    const declared = capabilities ?? this.options.capabilities ?? {};
    const params = { protocolVersion: LEGACY_VERSIONS[0], capabilities: declared, clientInfo: this.options.clientInfo };
    // It outlives the request that started it: no signal.
    this.hello = this.link.peer.request('initialize', params, { timeouts }).then(async (reply) => {
      if (reply.error !== undefined) {
        this.hello = undefined;
        // The upstream's data stays (a -32042's elicitations are what lets a user go and authorize).
        const data = isObject(reply.error.data) ? reply.error.data : {};
        return errorReply(reply.error.code, `upstream "${this.link.name}" refused the proxy's initialize: ${reply.error.message}`, {
          ...data,
          upstream: this.link.name,
        });
      }
      await this.link.peer.notify({ jsonrpc: '2.0', method: 'notifications/initialized' });
      this.link.announceReady(reply.result ?? {});
      return reply;
    });
    return this.hello;
  }

  /**
   * The upstream's one log level serves every request: it is lowered to the
   * lowest any request asked for and never raised again, and core passes
   * each request only what its own level allows.
   */
  private async setLevel(level: string | undefined, init: Params, timeouts: Timeouts | undefined): Promise<void> {
    if (level === undefined || init.capabilities === undefined || !isObject((init.capabilities as Params).logging)) return;
    if (this.level !== undefined && LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(this.level)) return;
    this.level = level;
    const reply = await this.link.peer.request('logging/setLevel', { level }, { timeouts });
    if (reply.error !== undefined) this.link.log.info({ level, error: reply.error.message }, 'the upstream refused logging/setLevel');
  }

  /**
   * A listen lasts until its client cancels it or the link closes. Its
   * resource URIs become `resources/subscribe` (counted, so the upstream
   * hears one per URI however many listeners ask); list changes need
   * nothing: a 2025-era server sends them to every session anyway.
   */
  private async listen(params: Params | undefined, options: RequestOptions<Origin>, init: Params): Promise<Reply> {
    const session = options.tag!.session;
    const canSubscribe = isObject(init.capabilities) && isObject(init.capabilities.resources) && init.capabilities.resources.subscribe === true;
    const uris = canSubscribe ? (listenFilterOf(params).resourceSubscriptions ?? []) : [];
    const { timeouts } = options;
    for (const uri of uris)
      if (this.hold(session, uri, 1) && this.subscriptions.add(uri, session)) await this.link.peer.request('resources/subscribe', { uri }, { timeouts });
    const signal = options.signal;
    if (signal?.aborted !== true && this.link.peer.open) {
      await new Promise<void>((resolve) => {
        const end = (): void => {
          this.listens.delete(end);
          resolve();
        };
        this.listens.add(end);
        signal?.addEventListener('abort', end, { once: true });
      });
    }
    for (const uri of uris) {
      // Core may have dropped the session's subscriptions already (its session closed first).
      if (!this.hold(session, uri, -1) || !this.subscriptions.subscribers(uri).includes(session)) continue;
      if (this.subscriptions.remove(uri, session)) void this.link.peer.request('resources/unsubscribe', { uri }, { timeouts });
    }
    return this.link.peer.open
      ? { result: {} }
      : errorReply(ProxyErrorCode.UpstreamClosed, `upstream "${this.link.name}" closed`, { upstream: this.link.name });
  }
}
