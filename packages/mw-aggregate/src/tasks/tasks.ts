import { type Context, isObject, type Next, type Params, principalKey, type Reply, type RequestContext } from '@mcproxy/core';
import { ask } from '../upstreams/fan-out.js';
import type { Health } from '../upstreams/health.js';
import type { Options } from '../options.js';
import { paginate } from '../lists/pages.js';
import type { TaskIds, TaskRef } from './task-ids.js';
import type { SessionLists } from '../lists/views.js';

/** Task methods that name one task by `taskId`: 2025-11-25's and the 2026-07-28 extension's. */
export const TASK_METHODS: ReadonlySet<string> = new Set(['tasks/get', 'tasks/result', 'tasks/cancel', 'tasks/update']);
/** An upstream's task status, in either era: its taskId is wrapped, and a legacy session hears only its own. */
export const TASK_NOTIFICATIONS: ReadonlySet<string> = new Set(['notifications/tasks/status', 'notifications/tasks']);
const RELATED = 'io.modelcontextprotocol/related-task';
/** Tasks one session is remembered to have made (for tasks/list and status notifications); the oldest are forgotten first. */
const MAX_TASKS = 1_000;
/** Pages of one upstream's tasks/list followed at most. */
const MAX_PAGES = 100;

export const key = (upstream: string, id: string): string => `${upstream}\n${id}`;

/** Is this a 2026-07-28 request (or what an upstream sends toward one)? Its task ids are durable handles, not a session's. */
export const isModern = (ctx: Context): boolean => ctx.client.era === 'modern';

/**
 * Who a task id is bound to: a legacy session (itself bound to its
 * principal); for a 2026-07-28 request, whose task ids are durable handles,
 * its principal, or nobody when nothing authenticated it.
 */
export const bindingOf = (ctx: Context): string => {
  if (!isModern(ctx)) return ctx.session.id;
  const principal = principalKey(ctx.session.principal);
  return principal === undefined ? '' : `principal ${principal}`;
};

/** A session's own tasks, by upstream and upstream id, with the last status seen of each; bounded. */
const sessionTasks = Symbol('mw-aggregate tasks');
export function mine(ctx: Context): Map<string, string> {
  let tasks = ctx.session.state.get(sessionTasks) as Map<string, string> | undefined;
  if (tasks === undefined) {
    tasks = new Map();
    ctx.session.state.set(sessionTasks, tasks);
  }
  return tasks;
}

function remember(ctx: Context, upstream: string, id: string, status: unknown): void {
  const tasks = mine(ctx);
  tasks.delete(key(upstream, id));
  tasks.set(key(upstream, id), typeof status === 'string' ? status : 'working');
  if (tasks.size > MAX_TASKS) tasks.delete(tasks.keys().next().value as string);
}

/**
 * Every task id in a result or notification from `upstream`, wrapped: a
 * Task (`taskId`: tasks/get, tasks/cancel, a status notification, a modern
 * CreateTaskResult), a legacy CreateTaskResult (`task.taskId`), a list
 * (`tasks[]`) and a related-task `_meta`. Tasks a result creates are
 * remembered as the session's.
 */
export function wrapTasks(ctx: Context, ids: TaskIds, upstream: string, body: Params, created: boolean): Params {
  const binding = bindingOf(ctx);
  const wrapTask = (task: Params): Params => {
    if (typeof task.taskId !== 'string') return task;
    if (created) remember(ctx, upstream, task.taskId, task.status);
    return { ...task, taskId: ids.wrap(upstream, task.taskId, binding) };
  };
  let out = body;
  if (typeof out.taskId === 'string') out = wrapTask(out);
  if (isObject(out.task)) out = { ...out, task: wrapTask(out.task) };
  if (Array.isArray(out.tasks)) out = { ...out, tasks: out.tasks.map((t: unknown) => (isObject(t) ? wrapTask(t) : t)) };
  return wrapRelated(ctx, ids, upstream, out);
}

/** Only the related-task `_meta` (what an upstream's request or a task's result says it belongs to), wrapped. */
export function wrapRelated(ctx: Context, ids: TaskIds, upstream: string, body: Params): Params {
  const meta = body._meta;
  if (!isObject(meta) || !isObject(meta[RELATED]) || typeof meta[RELATED].taskId !== 'string') return body;
  return { ...body, _meta: { ...meta, [RELATED]: { ...meta[RELATED], taskId: ids.wrap(upstream, meta[RELATED].taskId, bindingOf(ctx)) } } };
}

/** Did this result create a task? A legacy CreateTaskResult, or a modern `resultType: "task"`. */
export const createsTask = (result: Params): boolean => result.resultType === 'task' || (isObject(result.task) && typeof result.task.taskId === 'string');

/** A request naming a task: where it goes, with the upstream's own id put back; or why it goes nowhere. */
export function openTask(ctx: RequestContext, ids: TaskIds): { ref: TaskRef; params: Params } | { error: Reply } {
  const params = ctx.message.params ?? {};
  const opened = ids.open(params.taskId, bindingOf(ctx), ctx.upstreams);
  if ('error' in opened) return opened;
  return { ref: opened, params: { ...params, taskId: opened.id } };
}

/** A status notification for a legacy session: passed only when the task is that session's (a shared link carries every session's). */
export function ownsNotified(ctx: Context, upstream: string, params: Params): boolean {
  if (isModern(ctx)) return true;
  return typeof params.taskId === 'string' && mine(ctx).has(key(upstream, params.taskId));
}

/**
 * 2025-11-25 `tasks/list`: the session's own tasks from every upstream that
 * declares `tasks.list`, their pages followed, merged in configuration
 * order, ids wrapped. A shared upstream lists every session's tasks; only
 * those this session made are shown. Paged with the proxy's cursors when
 * `pageSize` is set.
 */
export async function listTasks(ctx: RequestContext, next: Next, ids: TaskIds, lists: SessionLists, options: Options, health: Health): Promise<Reply> {
  const own = mine(ctx);
  const targets = own.size === 0 ? [] : ctx.upstreams.filter((u) => declaresList(lists.capabilities.get(u)) && health.skip(u) === undefined);
  const parts = await Promise.all(
    targets.map(async (upstream) => {
      const found: Params[] = [];
      let cursor: unknown;
      for (let page = 0; page < MAX_PAGES; page++) {
        const params: Params = cursor === undefined ? {} : { cursor };
        const reply = await ask(ctx, next, upstream, { jsonrpc: '2.0', method: 'tasks/list', params }, options.timeoutMs);
        health.observe(upstream, reply);
        if (reply.error !== undefined) {
          if (reply.error.code !== -32601) ctx.log.warn({ upstream, error: reply.error.message }, 'tasks/list answered without this upstream');
          break;
        }
        const tasks = Array.isArray(reply.result.tasks) ? reply.result.tasks : [];
        for (const task of tasks) {
          if (isObject(task) && typeof task.taskId === 'string' && own.has(key(upstream, task.taskId))) found.push(wrapTasks(ctx, ids, upstream, task, false));
        }
        cursor = reply.result.nextCursor;
        if (typeof cursor !== 'string') break;
      }
      return found;
    }),
  );
  return paginate(parts.flat(), 'tasks', ctx.message.params?.cursor, options.pageSize);
}

/** Unknown capabilities (no initialize seen) might list; a declared `tasks` without `list` does not. */
function declaresList(caps: Params | undefined): boolean {
  if (caps === undefined) return true;
  return isObject(caps.tasks) && caps.tasks.list !== undefined;
}

/**
 * What the client said in `initialize`, as upstreams hear it: without
 * `capabilities.tasks`. An upstream that made a task on the client (a
 * task-augmented sampling or elicitation) would poll it later with
 * `tasks/get` outside any call, which a shared link cannot attribute to a
 * session, so the proxy does not offer what it cannot carry.
 */
export function withoutClientTasks(params: Params | undefined): Params | undefined {
  if (!isObject(params?.capabilities) || params.capabilities.tasks === undefined) return params;
  const { tasks: _dropped, ...capabilities } = params.capabilities;
  return { ...params, capabilities };
}
