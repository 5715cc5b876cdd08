import type { MessageExtra } from '../../wire/channel.js';
import type { Notification, Request } from '../../wire/jsonrpc.js';
import type { Link } from '../../links/link.js';
import type { Subscriptions } from './subscriptions.js';
import type { Session } from '../../proxy/session.js';
import type { Origin, Targets } from '../../links/upstream-side.js';

/** Notifications about the server as a whole: every session on the link hears them. */
export const BROADCAST = /^notifications\/(tools|prompts|resources)\/list_changed$/;

/**
 * Finds the sessions a 2025-era upstream's message is for, and never
 * guesses. A message the transport ties to one of our requests goes to that
 * request's session. Otherwise, on a link that serves one session, or while
 * the requests in flight on it all come from one session, it goes to that
 * session. Server-wide notifications (list_changed; resource updates to
 * their subscribers) go to every session concerned. Anything else on a
 * shared link with several sessions concerned cannot be attributed:
 * requests are refused to the upstream and notifications dropped, so no
 * session sees another's sampling, elicitation, roots or log traffic.
 */
export function legacyTargets(link: Link, subscriptions: Subscriptions<Session> | undefined, message: Request | Notification, extra?: MessageExtra): Targets {
  const open = [...link.sessions].filter((s) => s.peer.open);
  if (BROADCAST.test(message.method)) return { to: open.map((session) => ({ session, related: undefined })) };
  // Progress whose token is not in flight any more: late, and belongs to no one.
  if (message.method === 'notifications/progress') return { to: [] };
  if (message.method === 'notifications/resources/updated' && link.mode === 'shared') {
    const uri = message.params?.uri;
    return {
      to: typeof uri === 'string' && subscriptions !== undefined ? subscriptions.subscribers(uri).map((session) => ({ session, related: undefined })) : [],
    };
  }
  const byId = extra?.relatedRequestId === undefined ? undefined : link.peer.attribute(extra.relatedRequestId, false);
  if (byId?.tag !== undefined) return { to: byId.tag.session.peer.open ? [{ session: byId.tag.session, related: byId.tag.downstreamId }] : [] };
  const inFlight = link.peer.tags().filter((t): t is Origin => t?.session.peer.open === true);
  const callers = new Set(inFlight.map((t) => t.session));
  if (callers.size === 1) {
    const newest = inFlight.at(-1)!;
    return { to: [{ session: newest.session, related: newest.downstreamId }] };
  }
  if (callers.size === 0 && open.length <= 1) return { to: open.map((session) => ({ session, related: undefined })) };
  const sessions = callers.size > 0 ? callers.size : open.length;
  return {
    refused: `${sessions} client sessions share this link${callers.size > 0 ? ' and have requests in flight' : ''}, and the upstream's transport does not say which one this ${message.method} belongs to`,
  };
}
