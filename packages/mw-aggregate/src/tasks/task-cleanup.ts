import { type Context, isObject, type Next, type Params, type Reply } from '@mcproxy/core';
import type { Health } from '../upstreams/health.js';
import { isModern, key, mine } from './tasks.js';

/** Statuses after which a task never changes (both eras). */
const TERMINAL: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);
/** tasks/cancel sent at once when a session ends; the rest wait for a free slot. */
const CANCEL_BATCH = 16;

/** A status a legacy session's own task was seen in (a status notification, a tasks/get or tasks/cancel answer). */
export function noteStatus(ctx: Context, upstream: string, task: Params): void {
  if (isModern(ctx) || typeof task.taskId !== 'string' || typeof task.status !== 'string') return;
  const tasks = mine(ctx);
  const k = key(upstream, task.taskId);
  if (tasks.has(k)) tasks.set(k, task.status);
}

/**
 * What a task method's answer teaches about the session's task: its
 * status, that it is done (`tasks/result` answers only once it is), or
 * that the upstream no longer knows it (-32602: a restarted server, a task
 * past its ttl), which forgets it, so it is neither listed nor cancelled.
 */
export function learn(ctx: Context, upstream: string, method: string, id: string, reply: Reply): void {
  if (isModern(ctx)) return;
  const tasks = mine(ctx);
  const k = key(upstream, id);
  if (!tasks.has(k)) return;
  if (reply.error !== undefined) {
    if (reply.error.code === -32602) tasks.delete(k);
    return;
  }
  if (method === 'tasks/result') tasks.set(k, 'completed');
  else if (typeof reply.result.status === 'string') tasks.set(k, reply.result.status);
  else if (isObject(reply.result.task)) noteStatus(ctx, upstream, { ...reply.result.task, taskId: id });
}

const hooked = Symbol('mw-aggregate task cleanup');

/**
 * When a 2025-era session that made tasks ends, its tasks that have not
 * reached a terminal status are cancelled upstream (`tasks/cancel`, each
 * within `timeoutMs`, at most 16 at a time; an upstream that is down or no
 * longer configured is skipped), through the rest of the chain with the
 * `next` of the request that made the first task. Best effort: core lets
 * it run for a bounded time after the client is gone, and failures are
 * logged at debug. Modern task ids are durable handles and outlive their
 * request, so nothing is cancelled for them.
 */
export function cancelOnClose(ctx: Context, next: Next, health: Health, timeoutMs: number): void {
  if (isModern(ctx) || ctx.session.state.has(hooked)) return;
  ctx.session.state.set(hooked, true);
  ctx.session.onClose(async () => {
    const open: Array<[string, string]> = [];
    for (const [k, status] of mine(ctx)) {
      if (TERMINAL.has(status)) continue;
      const cut = k.indexOf('\n');
      const upstream = k.slice(0, cut);
      if (ctx.upstreams.includes(upstream) && health.skip(upstream) === undefined) open.push([upstream, k.slice(cut + 1)]);
    }
    for (let i = 0; i < open.length; i += CANCEL_BATCH) {
      await Promise.all(open.slice(i, i + CANCEL_BATCH).map(([upstream, taskId]) => cancel(ctx, next, upstream, taskId, timeoutMs)));
    }
  });
}

async function cancel(ctx: Context, next: Next, upstream: string, taskId: string, timeoutMs: number): Promise<void> {
  const message = { jsonrpc: '2.0' as const, method: 'tasks/cancel', params: { taskId } };
  try {
    const reply = await next({ upstream, message, signal: AbortSignal.timeout(timeoutMs) });
    if (reply?.error !== undefined) ctx.log.debug({ upstream, error: reply.error.message }, 'tasks/cancel for a closed session refused');
  } catch (err) {
    ctx.log.debug({ upstream, err }, 'tasks/cancel for a closed session failed');
  }
}
