import { createChannelPair } from '../wire/channel.js';
import type { ClientContext, Era } from '../chain/client-context.js';
import { ProxyErrorCode } from '../wire/errors.js';
import type { Timeouts } from '../wire/timeouts.js';
import type { Link } from '../links/link.js';
import type { UpstreamSpec } from '../links/upstream-spec.js';
import type { Session } from '../proxy/session.js';
import { clientOfHello } from './legacy/server.js';
import { MODERN_VERSION } from './modern/modern.js';

/** What a probe needs of the pool: a link of either era. */
export interface ProbePool {
  acquire(name: string, session: Session, kind: 'legacy' | 'modern'): Promise<Link>;
}

/** What one active probe of an upstream found. */
export interface ProbeResult {
  /** Whether the upstream answered (an error reply is an answer too: it is alive). */
  ok: boolean;
  /** Milliseconds from sending the probe to its answer (the first one includes opening the link). */
  latencyMs: number;
  /** The era it was probed in: `ping` for legacy, `server/discover` for modern. */
  era: Era;
  /** Why it failed, when it did. */
  error?: string;
}

/** The probe session's id: not a client, so never counted as one. */
export const PROBE_SESSION_ID = 'mcproxy-probe';

const NOT_ANSWERED = new Set<number>([ProxyErrorCode.UpstreamClosed, ProxyErrorCode.RequestTimeout, ProxyErrorCode.UpstreamUnavailable]);

const PROBE_CLIENT: ClientContext = { era: 'modern', protocolVersion: MODERN_VERSION, capabilities: {}, info: { name: 'mcproxy-probe', version: '1' } };

/** The session probes run in: one per proxy, opened on first use, that never sends anything itself. */
export async function openProbeSession(accept: (channel: ReturnType<typeof createChannelPair>[0], id: string) => Promise<Session>): Promise<Session> {
  const [ours] = createChannelPair();
  const session = await accept(ours, PROBE_SESSION_ID);
  session.client = clientOfHello({ protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'mcproxy-probe', version: '1' } });
  return session;
}

/**
 * Asks one upstream whether it is alive, past every middleware: `ping` on
 * its legacy link, or `server/discover` on its modern one when it is pinned
 * to 2026-07-28. A shared upstream is probed on the link clients use (which
 * the probe opens if need be, so a required upstream is started before the
 * first client); a per-session one on the probe session's own link.
 */
export async function probeUpstream(pool: ProbePool, spec: UpstreamSpec, session: Session, timeoutMs: number): Promise<ProbeResult> {
  const era: Era = spec.protocol === MODERN_VERSION ? 'modern' : 'legacy';
  const timeouts: Timeouts = { requestMs: timeoutMs, maxMs: timeoutMs, resetOnProgress: false };
  const started = performance.now();
  try {
    // Opening the link has no deadline of its own (a connect may hang): the probe gives it the same one.
    let timer: NodeJS.Timeout | undefined;
    const opening = pool.acquire(spec.name, session, era);
    const link = await Promise.race([
      opening,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`upstream "${spec.name}" did not open within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    const reply =
      era === 'modern'
        ? await link.forward(session, 'server/discover', undefined, { timeouts }, PROBE_CLIENT)
        : await link.forward(session, 'ping', undefined, { timeouts }, session.client);
    const latencyMs = performance.now() - started;
    // Core's own answers (closed, timed out, unavailable) say the upstream did not answer; any other error is an answer.
    if (reply.error !== undefined && NOT_ANSWERED.has(reply.error.code)) return { ok: false, latencyMs, era, error: reply.error.message };
    return { ok: true, latencyMs, era };
  } catch (err) {
    return { ok: false, latencyMs: performance.now() - started, era, error: err instanceof Error ? err.message : String(err) };
  }
}
