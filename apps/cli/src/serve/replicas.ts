import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger, RateBuckets, SecretKeys } from '@mcproxy/core';
import { Buckets } from '@mcproxy/mw-rate-limit';
import type { Observability } from '@mcproxy/observability';
import type { ReplicaFace, ReplicaOptions } from '@mcproxy/transport-streamable-http';
import type { Pipeline } from '../config/schema.js';
import type { StoreConfig } from '../config/store-schema.js';
import { ListRelay } from './list-relay.js';

/** The shared store named at start cannot be reached: mcproxy exits 2, naming it. */
export class StoreUnreachable extends Error {
  override readonly name = 'StoreUnreachable';
}

/**
 * This process as one of several replicas sharing a store: what its faces,
 * proxies and middleware take from the store, and what SIGTERM does.
 */
export interface Replica {
  readonly id: string;
  /** For each streamable HTTP face (the main endpoint and every route). */
  readonly face: ReplicaOptions;
  /** The ring every replica signs with (parked calls' requestStates, aggregate's states and task ids), kept in the store and rotated there. */
  readonly keys: SecretKeys;
  /** The relay of list changes between replicas for the route at `path` (one per path, made on first use). */
  relayFor(path: string): ListRelay;
  /** The rate-limit buckets of one pipeline entry, in the store. */
  bucketsFor(entry: string): RateBuckets;
  /** Where the faces are whose sessions are handed over on drain and put back when the store returns empty (asked each time: reloads add and remove routes). */
  watch(faces: () => ReplicaFace[]): void;
  /** SIGTERM: /readyz says draining for `drainDelayMs`, then every session goes to the other replicas. */
  drain(log: Logger): Promise<void>;
  close(): Promise<void>;
}

/** How long a replica that handed its sessions over keeps answering "not here" before it closes its port (forwarders remember an owner for 1 s). */
const HANDED_OVER_MS = 1500;

/** Connects to the pipeline's store (undefined without one); throws `StoreUnreachable` when it cannot be reached at start. */
export async function startReplica(pipeline: Pipeline, log: Logger, observed: Observability): Promise<Replica | undefined> {
  const config = pipeline.store;
  if (config === undefined) return undefined;
  // Loaded only here: one process without a store never loads a Redis client.
  const { connectRedisStore } = await import('@mcproxy/store-redis');
  const storeLog = log.child({ store: 'redis' });
  let store: Awaited<ReturnType<typeof connectRedisStore>>;
  try {
    store = await connectRedisStore({
      url: config.redis.url,
      keyPrefix: config.redis.keyPrefix,
      log: storeLog,
      onOperation: (op, outcome) => observed.storeOperation(op, outcome),
    });
  } catch (err) {
    throw new StoreUnreachable(err instanceof Error ? err.message : String(err));
  }
  const id =
    config.replicaId ??
    `${hostname()
      .replace(/[^A-Za-z0-9_.-]/g, '-')
      .slice(0, 40)}-${randomBytes(3).toString('hex')}`;
  const url = advertised(config, pipeline);
  const directory = await store.directory({ id, url }, { leaseMs: config.leaseMs, sessionTtlMs: sessionTtl(pipeline) });
  const ring = await store.keyRing({ rotateMs: config.keyRotationMs });
  let faces: () => ReplicaFace[] = () => [];
  const relays = new Map<string, ListRelay>();
  let draining = false;
  // Only a drain takes a replica out of rotation: one whose store is down still serves 2026-07-28 requests and the sessions it holds.
  observed.notReadyWhen(() => (draining ? 'draining: this replica is handing its sessions to the others' : undefined));
  observed.tellOnReadiness(() => ({ store: store.notReady() ?? 'ok', replica: id }));
  store.onReady(() => {
    storeLog.info({ sessions: 'republished' }, 'the shared store is back: putting the sessions held here in it again');
    for (const face of faces()) void face.republish();
  });
  log.info({ replica: id, advertise: url, store: store.url }, 'one of several replicas: sessions are kept in the shared store');
  return {
    id,
    face: {
      directory,
      events: store.events(),
      leaseMs: config.leaseMs,
      onForward: (outcome, seconds) => observed.forward(outcome, seconds),
      onTakeover: (reason) => observed.takeover(reason),
    },
    keys: ring,
    bucketsFor: (entry) => orLocal(store.rateBuckets(entry), storeLog),
    relayFor(path) {
      let relay = relays.get(path);
      if (relay === undefined) {
        relay = new ListRelay(store.news, `news:lists:${path}`, id, log.child({ route: path }));
        relays.set(path, relay);
      }
      return relay;
    },
    watch: (where) => {
      faces = where;
    },
    async drain(drainLog) {
      draining = true;
      drainLog.info({ drainDelayMs: config.drainDelayMs }, 'draining: /readyz says so, then the sessions held here go to the other replicas');
      await new Promise((resolve) => setTimeout(resolve, config.drainDelayMs));
      await Promise.allSettled(faces().map((face) => face.release(Math.max(2000, pipeline.timeouts.requestMs ?? 0))));
      // The port stays open a little longer: another replica that saw this one hold a session within the last second
      // may still forward to it, and is told "not here" (and looks again) rather than finding the port closed mid-request.
      await new Promise((resolve) => setTimeout(resolve, HANDED_OVER_MS));
    },
    async close() {
      for (const relay of relays.values()) relay.close();
      ring.stop();
      await directory.stop().catch(() => undefined);
      await store.close().catch(() => undefined);
    },
  };
}

/** Where the others reach this replica: `advertise`, else the face's own host and port (the machine's name when bound to every interface). */
function advertised(config: StoreConfig, pipeline: Pipeline): string {
  if (config.advertise !== undefined) return new URL(config.advertise).origin;
  const http = pipeline.serve.http!;
  const any = http.host === '0.0.0.0' || http.host === '::' || http.host === '';
  const host = any ? hostname() : http.host.includes(':') ? `[${http.host}]` : http.host;
  return `${http.tls === undefined ? 'http' : 'https'}://${host}:${http.port}`;
}

/** Entries outlive the face's idle limit a little, so an idle close here is what ends a session. */
function sessionTtl(pipeline: Pipeline): number {
  const idle = pipeline.limits.sessionIdleMs ?? 30 * 60_000;
  return (idle > 0 ? idle : 24 * 60 * 60_000) + 60_000;
}

/**
 * Buckets in the store while it answers; while it does not, each replica
 * counts in its own memory (a limit then holds per replica, not across
 * them), so requests are still limited and never refused for the outage.
 */
function orLocal(shared: RateBuckets, log: Logger): RateBuckets {
  const local = new Buckets(10_000, Date.now);
  let down = false;
  return {
    async take(wanted) {
      try {
        const taken = await shared.take(wanted);
        down = false;
        return taken;
      } catch (err) {
        if (!down) log.warn({ err: (err as Error).message }, 'rate limits are counted per replica until the shared store answers again');
        down = true;
        return local.take(wanted);
      }
    },
    get size() {
      return shared.size + local.size;
    },
  };
}
