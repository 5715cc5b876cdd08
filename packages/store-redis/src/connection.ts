import { createHash } from 'node:crypto';
import type { Logger } from '@mcproxy/core';
import { StoreUnavailable } from '@mcproxy/transport-streamable-http';
import { ClientOfflineError, createClient, ErrorReply, TimeoutError, TimeoutReadError } from 'redis';
import { storeName } from './url.js';

/** The store answered, with an error (a key of another type, a script that failed): not an outage, and a reader of foreign data may treat it as such. */
export class StoreRefused extends StoreUnavailable {}

/** What a connection is built from; `connectRedisStore` fills the defaults. */
export interface ConnectionOptions {
  url: string;
  redacted: string;
  log: Logger;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  onOperation?: ((op: string, outcome: 'ok' | 'error') => void) | undefined;
}

/** A Lua script run by its SHA1, sent whole only when the server does not know it (a restarted Redis). */
export interface Script {
  readonly source: string;
  readonly sha: string;
}

export const script = (source: string): Script => ({ source, sha: createHash('sha1').update(source).digest('hex') });

/** The part of a node-redis client the store uses (its own types are generic over modules and RESP versions). */
interface Client {
  readonly isReady: boolean;
  on(event: 'error', listener: (err: unknown) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
  connect(): Promise<unknown>;
  sendCommand(args: string[]): Promise<unknown>;
  close(): Promise<void>;
  destroy(): void;
}

/**
 * One node-redis client and what the store needs around it: a reconnect
 * that never gives up (backoff capped at 2 s), commands that fail fast
 * while it is down (no offline queue) and never outlive
 * `commandTimeoutMs`, every error as `StoreUnavailable` naming the store
 * without its password, and `ready` listeners for when it comes back.
 */
export class Connection {
  private readonly readyListeners = new Set<() => void>();
  private lastError: string | undefined;
  private wasReady = false;
  private down = false;
  private closed = false;

  private constructor(
    private readonly client: Client,
    private readonly options: ConnectionOptions,
  ) {
    // Mandatory: an EventEmitter without an 'error' listener throws, and a Redis outage must never end the process.
    client.on('error', (err: unknown) => this.failed(err));
    client.on('ready', () => this.ready());
  }

  /** Connects, or rejects with `StoreUnavailable` once `connectTimeoutMs` pass without a connection. */
  static async open(options: ConnectionOptions): Promise<Connection> {
    const client: Client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      // A Redis Enterprise feature; Redis 7.0 and Valkey do not have its command.
      maintNotifications: 'disabled',
      commandOptions: { timeout: options.commandTimeoutMs, rejectInFlight: true },
      socket: {
        connectTimeout: options.connectTimeoutMs,
        reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000),
      },
    });
    const connection = new Connection(client, options);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.connectTimeoutMs);
    });
    // A client given up on ends its connect() with ClientClosedError: nothing waits for that.
    const connected = client.connect().then(
      () => 'ok' as const,
      () => 'failed' as const,
    );
    const outcome = await Promise.race([connected, timedOut]);
    clearTimeout(timer);
    if (outcome !== 'ok') {
      client.destroy();
      const why = connection.lastError ?? `no connection within ${options.connectTimeoutMs} ms`;
      throw new StoreUnavailable(`${storeName(options.redacted)} cannot be reached: ${why}`);
    }
    return connection;
  }

  /** Undefined while connected, else one sentence naming the store and why. */
  notReady(): string | undefined {
    if (this.closed) return `${storeName(this.options.redacted)} is closed`;
    if (this.client.isReady) return undefined;
    return `${storeName(this.options.redacted)} cannot be reached: ${this.lastError ?? 'connecting'}`;
  }

  /** Calls `listener` each time the connection comes back after being down; returns how to stop. */
  onReady(listener: () => void): () => void {
    this.readyListeners.add(listener);
    return () => this.readyListeners.delete(listener);
  }

  /** Runs one command; `op` names it for the metric and the error. */
  async command(op: string, args: ReadonlyArray<string | number>): Promise<unknown> {
    return this.run(op, () => this.client.sendCommand(args.map(String)));
  }

  /** Runs `s` by EVALSHA, and by EVAL when the server has not seen it since it started. */
  async eval(op: string, s: Script, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args.map(String)];
    return this.run(op, async () => {
      try {
        return await this.client.sendCommand(['EVALSHA', s.sha, ...tail]);
      } catch (err) {
        if (!(err instanceof ErrorReply && err.message.startsWith('NOSCRIPT'))) throw err;
        return this.client.sendCommand(['EVAL', s.source, ...tail]);
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.readyListeners.clear();
    // Graceful when it can be (pending commands get their answers), never longer than a command may take.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.commandTimeoutMs);
    });
    await Promise.race([this.client.close().catch(() => undefined), late]);
    clearTimeout(timer);
    this.client.destroy();
  }

  private async run(op: string, send: () => Promise<unknown>): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const ms = this.options.commandTimeoutMs;
    // The client times commands out too; this also bounds an EVALSHA followed by its EVAL.
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError()), ms);
    });
    try {
      const reply = await Promise.race([send(), late]);
      this.options.onOperation?.(op, 'ok');
      return reply;
    } catch (err) {
      this.options.onOperation?.(op, 'error');
      throw this.unavailable(op, err);
    } finally {
      clearTimeout(timer);
    }
  }

  private unavailable(op: string, err: unknown): StoreUnavailable {
    const name = storeName(this.options.redacted);
    if (err instanceof ErrorReply) return new StoreRefused(`${name} refused ${op}: ${err.message}`);
    let why: string;
    if (this.closed) why = 'the store was closed';
    else if (err instanceof TimeoutError || err instanceof TimeoutReadError) why = `no answer to ${op} within ${this.options.commandTimeoutMs} ms`;
    else if (err instanceof ClientOfflineError) why = this.lastError ?? 'not connected';
    else why = err instanceof Error ? err.message : String(err);
    return new StoreUnavailable(`${name} cannot be reached: ${why}`);
  }

  private failed(err: unknown): void {
    const why = err instanceof Error ? err.message || err.name : String(err);
    // The first error of an outage is logged; the reconnect attempts after it say the same thing every 2 s.
    if (!this.down && !this.closed) this.options.log.warn({ store: this.options.redacted, err: why }, `${storeName(this.options.redacted)} cannot be reached`);
    this.lastError = why;
    this.down = true;
  }

  private ready(): void {
    const back = this.wasReady && this.down;
    this.wasReady = true;
    this.down = false;
    this.lastError = undefined;
    if (!back) return;
    this.options.log.info({ store: this.options.redacted }, `${storeName(this.options.redacted)} is reachable again`);
    for (const listener of [...this.readyListeners]) {
      try {
        listener();
      } catch (err) {
        this.options.log.error({ err: String(err) }, 'a store ready listener threw');
      }
    }
  }
}
