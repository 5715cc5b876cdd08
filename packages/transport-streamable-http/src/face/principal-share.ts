// A principal share: what one authenticated principal may hold of a pool the proxy bounds.
// Here, its 2025-era sessions, counted afresh from `proxy.sessions` (nothing is kept);
// its open listen streams are the other share (core's `Listeners`, kept by modern/).
import { limitReply, principalKey, type LimitReporter, type Limits, type Principal, type Proxy } from '@mcproxy/core';

/** Why a new session is refused: its HTTP status and the JSON-RPC error. */
export interface SessionRefusal {
  status: 503 | 429;
  reply: ReturnType<typeof limitReply>;
}

/**
 * Whether `proxy` may open one more session for `principal`: `limits.sessions`
 * bounds every face's sessions together (503: the proxy is full), and
 * `limits.sessionsPerPrincipal` what one authenticated principal may hold of
 * them (429: that principal holds its share), so one key cannot fill the pool
 * for everyone. Each hit is counted. Undefined when it may.
 */
export function sessionRefusal(
  proxy: Proxy,
  principal: Principal | undefined,
  limits: Limits,
  limitReporter: LimitReporter,
  transport: string,
): SessionRefusal | undefined {
  if (proxy.heldSessions() >= limits.sessions) {
    limitReporter.hit('sessions', limits.sessions, { transport });
    return { status: 503, reply: limitReply('sessions', limits.sessions, 'no new session') };
  }
  const key = principalKey(principal);
  if (key === undefined) return undefined;
  let held = 0;
  // Core's `sessions` hold its modern requests too: only 2025-era sessions count.
  for (const accepted of proxy.sessions) if (accepted.era !== 'modern' && principalKey(accepted.principal) === key) held++;
  if (held < limits.sessionsPerPrincipal) return undefined;
  limitReporter.hit('sessionsPerPrincipal', limits.sessionsPerPrincipal, { transport, principal: principal?.id });
  return { status: 429, reply: limitReply('sessionsPerPrincipal', limits.sessionsPerPrincipal, 'no new session for this principal') };
}
