import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { EventLog, LimitReporter, Limits, Logger, Proxy } from '@mcproxy/core';
import { logId } from '@mcproxy/core';
import { DirectPosts } from './direct-posts.js';
import { principalOf } from '../../http/front.js';
import { sdkEventStore } from './sdk-event-store.js';
import { IdleWatch } from './idle.js';
import { SessionChannel } from './session-channel.js';

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
}

/**
 * The downstream sessions of one HTTP server, by `Mcp-Session-Id`. Each is
 * one SDK transport (stateful, its events kept in the face's `EventLog`)
 * handed to the proxy as a channel; it leaves the table when its transport
 * closes, whoever closed it.
 */
export class Sessions {
  private readonly live = new Map<string, SessionChannel>();

  constructor(private readonly options: SessionsOptions) {}

  get size(): number {
    return this.live.size;
  }

  /** The session with this id, while it lasts. Count `res` as activity on it with `session.idle.track(res)`. */
  get(id: string): SessionChannel | undefined {
    return this.live.get(id);
  }

  /**
   * Starts a session for an `initialize` POST and lets its transport answer
   * it. A session whose initialize the transport refuses (bad `Accept`,
   * for one) never gets an id a client could use, so it is closed again.
   */
  async open(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const { proxy, log } = this.options;
    // Our id, not one the SDK makes up, so core's session and the header agree.
    const id = randomUUID();
    let initialized = false;
    const events = this.options.events.forSession(id);
    const eventStore = sdkEventStore(events);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => id,
      eventStore,
      retryInterval: this.options.retryIntervalMs,
      onsessioninitialized: () => {
        initialized = true;
        log.info({ session: logId(id) }, 'session opened');
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
      if (initialized) log.info({ session: logId(id) }, 'session closed');
    });
    idle.track(res);
    // In the table before the first byte is handled, so close() cannot miss it.
    this.live.set(id, channel);
    try {
      channel.core = await proxy.accept(channel, id, { principal: principalOf(req) });
      await transport.handleRequest(req, res, body);
      if (initialized) {
        channel.direct = new DirectPosts({
          sessionId: id,
          store: events,
          retryMs: this.options.retryIntervalMs,
          primeAfterMs: this.options.primeAfterMs,
          deliver: (message) => channel.deliver(message),
          slowReaderBytes: this.options.limits.slowReaderBytes,
          onSlowReader: (buffered) => this.options.limitReporter.hit('slowReaderBytes', this.options.limits.slowReaderBytes, { session: logId(id), buffered }),
        });
      }
    } finally {
      if (!initialized) await channel.close();
    }
  }

  /** Closes every session: each answers what it still has in flight, then ends its streams. */
  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.live.values()].map((channel) => channel.shutdown('the server is shutting down')));
  }
}
