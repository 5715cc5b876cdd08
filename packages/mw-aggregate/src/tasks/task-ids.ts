import { errorReply, JSONRPCErrorCode, mac, signedByAny, type Reply, type SecretKeys } from '@mcproxy/core';

/** A task id handed to a client: which upstream made the task, its own id there, and whom it is for. */
export interface TaskRef {
  upstream: string;
  id: string;
}

/** Marks our ids, so a glance at a log tells an aggregate task id from an upstream's. */
const PREFIX = 'mcpx1.';
/** Its own key's purpose, so a sealed requestState can never pass as a task id or the reverse (with a stateKey: HMAC-SHA256(stateKey, this)). */
const TASK_ID_KEY = 'mcproxy task ids';
/** Longest client task id looked at: ours are far shorter unless an upstream's own id is huge. */
const MAX_TOKEN = 4096;

const unknownTask = (): { error: Reply } => ({ error: errorReply(JSONRPCErrorCode.InvalidParams, 'Invalid params: unknown taskId') });

/**
 * Task ids across aggregation. Two upstreams may both call a task `1`, and a
 * client must not be able to point a task method at another upstream, or at
 * another session's task on a shared link, by editing an id. So the id a
 * client sees is `mcpx1.<base64url payload>.<base64url HMAC-SHA256>`, the
 * payload naming the upstream, its own task id and the binding: the legacy
 * session the task was made in (so a leaked id is useless in any other
 * session), or nothing for a 2026-07-28 client, whose task ids are durable
 * handles by design. Nothing is kept per task to undo it, so ids survive as
 * long as the key does (`keys`: from `stateKey`, or until restart).
 */
export class TaskIds {
  /** The ring is asked each time: after it rotates, new ids take its new key and ids made under the previous one still open. */
  constructor(private readonly keys: SecretKeys) {}

  /** The client's id for `id` at `upstream` in `binding`. */
  wrap(upstream: string, id: string, binding: string): string {
    const body = Buffer.from(JSON.stringify([upstream, id, binding])).toString('base64url');
    return `${PREFIX}${body}.${mac(this.keys.key(TASK_ID_KEY), body)}`;
  }

  /** Where a client's task id leads, checked: a forged, foreign or malformed id is the spec's -32602 for an unknown task. */
  open(token: unknown, binding: string, upstreams: readonly string[]): TaskRef | { error: Reply } {
    if (typeof token !== 'string' || !token.startsWith(PREFIX) || token.length > MAX_TOKEN) return unknownTask();
    const rest = token.slice(PREFIX.length);
    const dot = rest.lastIndexOf('.');
    if (dot <= 0) return unknownTask();
    const body = rest.slice(0, dot);
    const keys = [this.keys.key(TASK_ID_KEY), ...(this.keys.previous?.(TASK_ID_KEY) ?? [])];
    if (!signedByAny(keys, body, rest.slice(dot + 1))) return unknownTask();
    let payload: unknown;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return unknownTask();
    }
    if (!Array.isArray(payload) || payload.length !== 3 || !payload.every((p) => typeof p === 'string')) return unknownTask();
    const [upstream, id, bound] = payload as [string, string, string];
    if (bound !== binding || !upstreams.includes(upstream)) return unknownTask();
    return { upstream, id };
  }
}
