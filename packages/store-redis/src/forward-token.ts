import { createHmac, timingSafeEqual } from 'node:crypto';

/** How long a forward token is good for: a forward is sent the moment it is made. */
export const FORWARD_TOKEN_MS = 30_000;
/** How far ahead of this replica's clock another's may run. */
const CLOCK_SKEW_MS = 5_000;

/**
 * Tokens that prove a forwarded request comes from a replica of this
 * deployment: `<ms since epoch>.<base64url HMAC-SHA256(secret, sessionId + "." + ms)>`,
 * with `secret` the 64 hex characters every replica reads from the store.
 * Bound to one session, good for 30 s; a client that never saw the
 * secret cannot make one.
 */
export function forwardTokens(secretHex: string, now: () => number = Date.now) {
  const key = Buffer.from(secretHex, 'hex');
  const mac = (sessionId: string, ts: string): Buffer => createHmac('sha256', key).update(`${sessionId}.${ts}`).digest();
  return {
    forwardToken(sessionId: string): string {
      const ts = String(now());
      return `${ts}.${mac(sessionId, ts).toString('base64url')}`;
    },
    verifyForward(sessionId: string, token: string): boolean {
      const dot = token.indexOf('.');
      const ts = token.slice(0, dot);
      if (dot < 0 || !/^\d{1,16}$/.test(ts)) return false;
      const age = now() - Number(ts);
      if (age > FORWARD_TOKEN_MS || age < -CLOCK_SKEW_MS) return false;
      // Compared as text: base64url decoding forgives stray characters, and the token must be exactly the one made.
      const given = Buffer.from(token.slice(dot + 1));
      const wanted = Buffer.from(mac(sessionId, ts).toString('base64url'));
      return given.length === wanted.length && timingSafeEqual(given, wanted);
    },
  };
}
