import { acknowledgeListen, listenFilterOf, type ListenFilter, type Next, type Params, type Reply, type RequestContext, TASKS_EXTENSION } from '@mcproxy/core';
import { deniedByGuards, hasGuards, parseAlias } from '@mcproxy/names';
import { expandsDenied } from '../lists/guards.js';
import type { View } from '../lists/names.js';
import type { TaskIds } from '../tasks/task-ids.js';
import { bindingOf } from '../tasks/tasks.js';
import type { SessionLists } from '../lists/views.js';

const FLAGS = [
  ['toolsListChanged', 'tools'],
  ['promptsListChanged', 'prompts'],
  ['resourcesListChanged', 'resources'],
] as const;

/** Where a URI a client subscribes to lives: its alias's upstream, its listed owner, else every upstream (each sends only about its own). */
function owners(ctx: RequestContext, lists: SessionLists, uri: string): Array<readonly [string, string]> {
  const alias = parseAlias(uri);
  if (alias !== undefined && ctx.upstreams.includes(alias.upstream)) return [[alias.upstream, alias.uri]];
  const route = lists.last('resources')?.routes.get(uri);
  if (route !== undefined) return [[route.upstream, route.original]];
  return ctx.upstreams.map((u) => [u, uri] as const);
}

/** What the forks of a listen carry, as the client asked for it: its acknowledgement. */
function honoured(plans: Map<string, ListenFilter>, subscribed: Array<readonly [string, string, string]>, taskIds: string[]): ListenFilter {
  const out: ListenFilter = {};
  for (const plan of plans.values()) for (const [flag] of FLAGS) if (plan[flag] === true) out[flag] = true;
  if (subscribed.length > 0) out.resourceSubscriptions = [...new Set(subscribed.map(([, , spelling]) => spelling))];
  if (taskIds.length > 0) out.taskIds = taskIds;
  return out;
}

const ended = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });

/**
 * A modern client's `subscriptions/listen`: one long fork to each upstream
 * that can send something the client asked for (it declared `listChanged`
 * for a requested list, `resources.subscribe` and owns a requested URI, or
 * the tasks extension and made a requested task), each with only its part
 * of the filter, URIs and task ids in its own spelling. The client is
 * acknowledged with exactly what the forks carry (a task id that does not
 * open, a list no upstream announces, is left out); core tags what comes
 * back with the client's listen id, and aggregate names it as the client
 * knows it (see `fromUpstream`). The request ends when the client cancels
 * or every fork has ended.
 */
export async function listen(ctx: RequestContext, next: Next, lists: SessionLists, ids: TaskIds): Promise<Reply> {
  await lists.discoveries?.refresh(ctx, next);
  const asked = listenFilterOf(ctx.message.params);
  const plans = new Map<string, ListenFilter>();
  const planOf = (upstream: string): ListenFilter => plans.get(upstream) ?? plans.set(upstream, {}).get(upstream)!;
  const cap = (upstream: string, name: string): Params | undefined => lists.capabilities.get(upstream)?.[name] as Params | undefined;
  for (const upstream of ctx.upstreams) {
    for (const [flag, name] of FLAGS) if (asked[flag] === true && cap(upstream, name)?.listChanged === true) planOf(upstream)[flag] = true;
  }
  const subscribed: Array<readonly [string, string, string]> = [];
  const uris = asked.resourceSubscriptions ?? [];
  // A filter before us left its rules: a URI it hides, or one that expands a template it hides, is not subscribed to.
  const templates: View | undefined = uris.length > 0 && hasGuards(ctx.session) ? (await lists.view(ctx, next, 'resourceTemplates')).view : undefined;
  const hidden = (upstream: string, uri: string): boolean =>
    deniedByGuards(ctx.session, 'resources', uri, upstream) || (templates !== undefined && expandsDenied(ctx.session, templates, uri));
  for (const uri of uris) {
    for (const [upstream, original] of owners(ctx, lists, uri)) {
      if (cap(upstream, 'resources')?.subscribe !== true || hidden(upstream, original)) continue;
      const plan = planOf(upstream);
      plan.resourceSubscriptions = [...(plan.resourceSubscriptions ?? []), original];
      subscribed.push([upstream, original, uri]);
    }
  }
  const taskIds: string[] = [];
  const tasks = (upstream: string): boolean => {
    const extensions = lists.capabilities.get(upstream)?.extensions;
    return typeof extensions === 'object' && extensions !== null && (extensions as Params)[TASKS_EXTENSION] !== undefined;
  };
  for (const id of asked.taskIds ?? []) {
    const task = ids.open(id, bindingOf(ctx), ctx.upstreams);
    if ('error' in task || !tasks(task.upstream)) continue;
    const plan = planOf(task.upstream);
    plan.taskIds = [...(plan.taskIds ?? []), task.id];
    taskIds.push(id);
  }
  await acknowledgeListen(ctx, honoured(plans, subscribed, taskIds));
  if (plans.size === 0) return { result: {} };
  for (const [upstream, uri, spelling] of subscribed) lists.spellings.add(upstream, uri, spelling);
  try {
    const forks = [...plans].map(([upstream, notifications]) => {
      const message = { ...ctx.message, params: { ...ctx.message.params, notifications } };
      return next({ upstream, message }).then(
        (reply) => reply?.error !== undefined && ctx.log.info({ upstream, error: reply.error.message }, 'upstream ended its part of a listen'),
        (err: unknown) => ctx.log.info({ upstream, err }, 'upstream ended its part of a listen'),
      );
    });
    await Promise.race([Promise.all(forks), ended(ctx.signal)]);
  } finally {
    for (const [upstream, uri, spelling] of subscribed) lists.spellings.remove(upstream, uri, spelling);
  }
  return { result: {} };
}
