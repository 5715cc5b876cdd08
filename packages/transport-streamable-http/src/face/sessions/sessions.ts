import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { EventLog, LimitReporter, Limits, Logger, Message, Proxy, SessionEventLog } from '@mcproxy/core';
import { logId } from '@mcproxy/core';
import { DirectPosts } from './direct-posts.js';
import { principalOf } from '../../http/front.js';
import { sdkEventStore } from './sdk-event-store.js';
import { IdleWatch } from './idle.js';
import { SessionChannel } from './session-channel.js';
import { StoreUnavailable, type SessionEntry, type SharedEvents } from '../replicas/directory.js';
import type { ReplicaRouter } from '../replicas/router.js';
import { mirrored, restore } from '../replicas/shared-log.js';
import { HttpErrorCode, idOf, sendErrorResponse } from '../../http/replies.js';

export interface SessionsOptions {
  proxy: Proxy;
  log: Logger;
  /** `retry:` hint (ms) sent in SSE priming events: how soon a dropped client should come back. */
  retryIntervalMs: number;
  /** Where each session's events are kept for resumption (one log, and one byte budget, for every session of this face). */
  events: EventLog;
  /** Close a session after this long with nothing open on it; 0: never. */
  idleMs: number;
  /** Close a session that made no request after its initialize after this long (when shorter than `idleMs`). */
  unusedMs: number;
  limits: Limits;
  limitReporter: LimitReporter;
  /** A POST whose answer takes longer than this becomes a resumable event stream; a quicker one is plain JSON. */
  primeAfterMs: number;
  /** With replicas: where every session is recorded, so any replica can forward to its owner or take it over. */
  replicas?: ReplicaRouter | undefined;
  /** With replicas: a copy of each session's events in the shared store. */
  shared?: SharedEvents | undefined;
  /** The MCP endpoint's path (for the `initialize` a taken-over session replays). */
  path: string;
}

/**
 * The downstream sessions of one HTTP server, by `Mcp-Session-Id`. Each is
 * one SDK transport (stateful, its events kept in the face's `EventLog`)
 * handed to the proxy as a channel; it leaves the table when its transport
 * closes, whoever closed it.
 */
export class Sessions {
  private readonly live = new Map<string, SessionChannel>();
  /** With replicas: the entry of each session held here (put back in the store if the store lost it). */
  private readonly entries = new Map<string, SessionEntry>();
  /** Sessions let go to another replica: ending them here is not ending them. */
  private readonly released = new Set<string>();
  /** Sessions being handed over: what they are answering finishes here, anything new goes where the store says. */
  private readonly leaving = new Set<string>();
  /** For each session being handed over, its release in the store (done once the store no longer names this replica). */
  private readonly lettingGo = new Map<string, Promise<void>>();
  /** Sessions being taken over here, until they can serve. */
  private readonly adopting = new Map<string, Promise<SessionChannel | undefined>>();

  constructor(private readonly options: SessionsOptions) {}

  get size(): number {
    return this.live.size;
  }

  /** The session with this id, while it lasts. Count `res` as activity on it with `session.idle.track(res)`. */
  get(id: string): SessionChannel | undefined {
    // Not while it is being made again here (its initialize is replayed): the request waits for that in `adopt`.
    if (this.leaving.has(id) || this.adopting.has(id)) return undefined;
    const channel = this.live.get(id);
    if (channel !== undefined && this.options.replicas !== undefined) void this.options.replicas.directory.touch(id).catch(() => undefined);
    return channel;
  }

  /**
   * Starts a session for an `initialize` POST and lets its transport answer
   * it. A session whose initialize the transport refuses (bad `Accept`,
   * for one) never gets an id a client could use, so it is closed again.
   * With replicas, the session is in the shared store before its id leaves.
   */
  async open(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    // Our id, not one the SDK makes up, so core's session and the header agree.
    const id = randomUUID();
    const principal = principalOf(req);
    const replicas = this.options.replicas;
    if (replicas !== undefined) {
      const entry: SessionEntry = { id, owner: replicas.directory.self.id, ...(principal === undefined ? {} : { principal }), initialize: body as Message };
      try {
        await replicas.directory.open(entry);
      } catch (err) {
        if (!(err instanceof StoreUnavailable)) throw err;
        this.options.log.warn({ err: err.message }, 'no new session: the shared store cannot be reached');
        return sendErrorResponse(res, 503, idOf(body), { code: HttpErrorCode.Refused, message: err.message }, { 'Retry-After': '2' });
      }
      this.entries.set(id, entry);
    }
    const made = this.make(id, this.options.events.forSession(id), 'session opened');
    made.channel.idle.track(res);
    try {
      made.channel.core = await this.options.proxy.accept(made.channel, id, { principal });
      await made.transport.handleRequest(req, res, body);
      if (made.initialized()) made.direct();
    } finally {
      if (!made.initialized()) await made.channel.close();
    }
  }

  /**
   * Takes over a session another replica held (it died, or drained): the
   * same id, the client's `initialize` replayed through the proxy (each
   * upstream link is opened again, a child process started anew), the
   * session's kept events put back so its streams resume from
   * `Last-Event-ID`. Resolves once the session can serve the request that
   * named it; undefined when it could not be made again.
   */
  async adopt(entry: SessionEntry): Promise<SessionChannel | undefined> {
    // Being handed over (the store had not let it go yet when this request looked): once it has, the request is routed
    // again, to where the session goes next. Undefined says so.
    if (this.leaving.has(entry.id)) {
      await this.lettingGo.get(entry.id);
      return undefined;
    }
    // Two requests of one session may both find it ownerless: the second waits for the first one's adoption.
    const pending = this.adopting.get(entry.id);
    if (pending !== undefined) return pending;
    const already = this.live.get(entry.id);
    if (already !== undefined) return already;
    const adoption = this.remake(entry).finally(() => this.adopting.delete(entry.id));
    this.adopting.set(entry.id, adoption);
    return adoption;
  }

  private async remake(entry: SessionEntry): Promise<SessionChannel | undefined> {
    const events = this.options.events.forSession(entry.id);
    const kept = this.options.shared === undefined ? [] : await this.options.shared.load(entry.id).catch(() => []);
    await restore(events, kept);
    this.entries.set(entry.id, entry);
    const made = this.make(entry.id, events, undefined);
    try {
      made.channel.core = await this.options.proxy.accept(made.channel, entry.id, entry.principal === undefined ? {} : { principal: entry.principal });
      // The SDK's transport must see an initialize to serve the session; the answer went to the client long ago.
      const web = (made.transport as unknown as { _webStandardTransport: WebTransport })._webStandardTransport;
      const replay = new Request(`http://replica.invalid${this.options.path}`, {
        method: 'POST',
        headers: { accept: 'application/json, text/event-stream', 'content-type': 'application/json' },
      });
      const answer = await web.handleRequest(replay, { parsedBody: entry.initialize });
      await answer.text();
      if (!made.initialized()) return undefined;
      made.channel.deliver({ jsonrpc: '2.0', method: 'notifications/initialized' });
      made.direct();
      this.options.log.info({ session: logId(entry.id), events: kept.length }, 'session taken over from another replica');
      return made.channel;
    } finally {
      if (!made.initialized()) await made.channel.close();
    }
  }

  /** Puts the entry of every session held here back in the shared store (it came back empty). */
  async republish(): Promise<void> {
    const directory = this.options.replicas?.directory;
    if (directory === undefined) return;
    await Promise.allSettled([...this.entries.values()].map((entry) => directory.open(entry)));
  }

  /**
   * Hands every session held here to the other replicas: each waits (at
   * most `graceMs`) for the requests it is answering, is released in the
   * store, and ends here without a word to its client, whose next request
   * another replica takes over.
   */
  async release(graceMs: number): Promise<void> {
    const replicas = this.options.replicas;
    if (replicas === undefined) return;
    replicas.draining = true;
    const until = Date.now() + graceMs;
    await Promise.allSettled(
      [...this.live.entries()].map(async ([id, channel]) => {
        // In this order: nothing new attaches here, the store lets the session go, what it answers finishes, then it ends.
        this.leaving.add(id);
        const letGo = replicas.directory.release(id).catch(() => undefined);
        this.lettingGo.set(id, letGo);
        await letGo;
        while ((channel.direct?.busy ?? 0) > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 25));
        this.released.add(id);
        // Anything still unanswered (past the grace) gets its error now: a client must never wait on a stream nobody will finish.
        await channel.shutdown('this replica handed the session to another; send the request again');
      }),
    );
  }

  /** Closes every session: each answers what it still has in flight, then ends its streams. */
  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.live.values()].map((channel) => channel.shutdown('the server is shutting down')));
  }

  /** One session's transport and channel, in the table; `initialized()` once its transport has seen the initialize. */
  private make(id: string, local: SessionEventLog, opened: string | undefined) {
    const { log, shared, replicas } = this.options;
    const events = shared === undefined ? local : mirrored(local, shared, id, log);
    let initialized = false;
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => id,
      eventStore: sdkEventStore(events),
      retryInterval: this.options.retryIntervalMs,
      onsessioninitialized: () => {
        initialized = true;
        if (opened !== undefined) log.info({ session: logId(id) }, opened);
      },
    });
    const idle = new IdleWatch(
      this.options.idleMs,
      () => {
        log.info({ session: logId(id), idleMs: this.options.idleMs }, 'session idle: closing it');
        void channel.close();
      },
      this.options.unusedMs,
    );
    const channel = new SessionChannel(transport, idle, () => {
      idle.stop();
      events.drop();
      this.live.delete(id);
      this.entries.delete(id);
      this.leaving.delete(id);
      this.lettingGo.delete(id);
      const handedOver = this.released.delete(id);
      if (replicas !== undefined && !handedOver) void replicas.directory.close(id).catch(() => undefined);
      if (initialized) log.info({ session: logId(id) }, handedOver ? 'session handed to another replica' : 'session closed');
    });
    // In the table before the first byte is handled, so close() cannot miss it.
    this.live.set(id, channel);
    const direct = (): void => {
      channel.direct = new DirectPosts({
        sessionId: id,
        store: events,
        retryMs: this.options.retryIntervalMs,
        primeAfterMs: this.options.primeAfterMs,
        deliver: (message) => channel.deliver(message),
        slowReaderBytes: this.options.limits.slowReaderBytes,
        onSlowReader: (buffered) => this.options.limitReporter.hit('slowReaderBytes', this.options.limits.slowReaderBytes, { session: logId(id), buffered }),
      });
    };
    return { channel, transport, direct, initialized: () => initialized };
  }
}

interface WebTransport {
  handleRequest(req: Request, options: { parsedBody: unknown }): Promise<Response>;
}
