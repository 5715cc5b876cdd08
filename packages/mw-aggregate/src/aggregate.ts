import {
  defineMiddleware,
  errorReply,
  JSONRPCErrorCode,
  MemorySecretKeys,
  notFound,
  ProxyErrorCode,
  replyFromError,
  type Context,
  type Middleware,
  type MiddlewareEnv,
  type Next,
  type NotificationContext,
  type Params,
  type Reply,
  type RequestContext,
  type SecretKeys,
} from '@mcproxy/core';
import { hasGuards, listOf } from '@mcproxy/names';
import { discover } from './handshake/discover.js';
import { mergeInitialize } from './handshake/initialize.js';
import { expandsDenied, refusedByGuards, unguarded } from './lists/guards.js';
import { exposeUri, linksOf, mapLinks } from './lists/links.js';
import { Collision, exposedOf, KINDS, type Kind } from './lists/names.js';
import { paginate } from './lists/pages.js';
import { Router } from './lists/router.js';
import { SessionLists, type KnownLists } from './lists/views.js';
import { listen } from './modern/listen.js';
import { movedOn, reopen, restored, roundOf, sealed } from './modern/mrtr.js';
import { StateSeal } from './modern/sealed-state.js';
import { optionsSchema, type Options } from './options.js';
import { cancelOnClose, learn, noteStatus } from './tasks/task-cleanup.js';
import { TaskIds } from './tasks/task-ids.js';
import { createsTask, listTasks, wrapRelated, openTask, ownsNotified, TASK_METHODS, TASK_NOTIFICATIONS, withoutClientTasks, wrapTasks } from './tasks/tasks.js';
import { ask, broadcast, withParams } from './upstreams/fan-out.js';
import { Health } from './upstreams/health.js';

const CHANGED: Record<string, readonly Kind[]> = {
  'notifications/tools/list_changed': ['tools'],
  'notifications/prompts/list_changed': ['prompts'],
  'notifications/resources/list_changed': ['resources', 'resourceTemplates'],
};

/** What `aggregate` is given besides its options. */
export interface AggregateEnv extends MiddlewareEnv {
  /** Keys every replica shares (the CLI gives them when a store is configured), used when the options have no `stateKey`. */
  keys?: SecretKeys | undefined;
}

/**
 * `aggregate`: many upstreams behind one session. Answers `initialize` (and
 * a modern client's `server/discover`) for the proxy, merges the four lists
 * (names prefixed as `prefix` says, URIs that collide rewritten), routes each
 * call, get, read, subscription and completion to its owner under its own
 * name, fans `ping`, `logging/setLevel` and `subscriptions/listen` out, seals
 * the requestState of input_required rounds so retries find their upstream,
 * and keeps merged lists until an upstream says its list changed (for modern
 * requests: while the parts' ttls last). Put it last in the pipeline:
 * middleware before it sees the merged names, middleware after it sees each
 * upstream's own.
 *
 * @example
 * pipeline:
 *   - use: aggregate
 *     with: { prefix: always, separator: "__" }
 */
export const aggregate = defineMiddleware('aggregate', optionsSchema, (options, env: AggregateEnv) => {
  const { log } = env;
  const health = new Health(options.retryMs, log);
  // Proxy-wide, like health: names must not depend on which session saw which upstream up.
  const known: KnownLists = new Map();
  // Replicas sharing a store share a ring of keys, so what one seals another opens; a configured stateKey wins.
  const seal = new StateSeal(options.stateKey ?? env.keys, options.stateTtlMs);
  const ids = new TaskIds(options.stateKey === undefined ? (env.keys ?? new MemorySecretKeys()) : new MemorySecretKeys(options.stateKey));
  const key = Symbol('mw-aggregate');
  const listsOf = (ctx: Context): SessionLists => {
    let lists = ctx.session.state.get(key) as SessionLists | undefined;
    if (lists === undefined) {
      // Modern requests of one face share their state: their lists are kept by ttl, not by list_changed.
      lists = new SessionLists(options, health, known, ctx.client.era);
      ctx.session.state.set(key, lists);
    }
    return lists;
  };
  return async function aggregateUpstreams(ctx, next) {
    if (ctx.direction === 'downstream') return fromUpstream(ctx, next, listsOf(ctx), ids);
    if (ctx.kind === 'notification') {
      await broadcast(ctx, next, ctx.upstreams, ctx.message);
      return undefined;
    }
    return toUpstreams(ctx, next, listsOf(ctx), options, health, { seal, ids, watch: (c, n) => cancelOnClose(c, n, health, options.timeoutMs) });
  } satisfies Middleware;
});

/** What aggregate signs (input_required rounds, and task ids), and how a session's tasks are cleaned up. */
interface Seals {
  seal: StateSeal;
  ids: TaskIds;
  /** Called when a session made a task: its unfinished tasks are cancelled when it ends. */
  watch: (ctx: RequestContext, next: Next) => void;
}

async function toUpstreams(ctx: RequestContext, next: Next, lists: SessionLists, options: Options, health: Health, seals: Seals): Promise<Reply> {
  const { seal, ids } = seals;
  const { method } = ctx.message;
  const params = ctx.message.params ?? {};
  const kind = listOf(method)?.kind;
  if (kind !== undefined) return list(ctx, next, lists, kind, params, options);
  if (ctx.client.era === 'modern') {
    if (method === 'server/discover') return discover(ctx, next, lists, options, health);
    if (method === 'subscriptions/listen') return listen(ctx, next, lists, ids);
  }
  switch (method) {
    case 'initialize':
      return initialize(ctx, next, lists, options, health);
    case 'ping':
    case 'logging/setLevel':
      return fanOut(ctx, next, lists, options);
    case 'tasks/list':
      if (ctx.client.era !== 'modern') return listTasks(ctx, next, ids, lists, options, health);
      break;
    default:
      break;
  }
  if (TASK_METHODS.has(method)) {
    // The id says which upstream made the task; one that does not open reaches nobody.
    const task = openTask(ctx, ids);
    if ('error' in task) return task.error;
    const reply = await call(ctx, next, health, task.ref.upstream, task.params);
    learn(ctx, task.ref.upstream, method, task.ref.id, reply);
    return finish(ctx, next, lists, seals, task.ref.upstream, task.params, reply);
  }
  if (method === 'tools/call') {
    const signIn = await lists.signIns.call(ctx, next, params.name, options, (upstream) => lists.invalidate(upstream, 'tools'));
    if (signIn !== undefined) return signIn;
  }
  // A modern call, get or read may answer input_required: its retry must come back to the same upstream.
  const round = roundOf(ctx);
  const opened = round === undefined ? undefined : reopen(ctx, round, seal);
  if (opened !== undefined && 'error' in opened) return opened.error;
  const route = await new Router(ctx, next, lists).route(method, params);
  if (route === undefined) {
    if (ctx.upstreams.length === 1) return call(ctx, next, health, ctx.upstreams[0] as string, params);
    return errorReply(
      JSONRPCErrorCode.MethodNotFound,
      `${method} cannot be routed: ${ctx.upstreams.length} upstreams are aggregated and none is named in the request`,
    );
  }
  if ('error' in route) return route.error;
  const refused = refusedByGuards(ctx.session, method, params, route.upstream, route.params);
  if (refused !== undefined) return refused;
  if (method.startsWith('resources/') && hasGuards(ctx.session)) {
    const templates = (await lists.view(ctx, next, 'resourceTemplates')).view;
    if (expandsDenied(ctx.session, templates, route.params.uri)) return notFound('resource', String(params.uri));
  }
  if (round === undefined) return finish(ctx, next, lists, seals, route.upstream, route.params, await call(ctx, next, health, route.upstream, route.params));
  if (opened !== undefined && opened.upstream !== route.upstream) return movedOn(round);
  const reply = await call(ctx, next, health, route.upstream, opened === undefined ? route.params : restored(route.params, opened));
  return finish(ctx, next, lists, seals, route.upstream, route.params, sealed(ctx, reply, round, route.upstream, seal));
}

/**
 * An upstream's answer as the client must see it: task ids wrapped (a task
 * it creates is remembered as the session's), and every resource URI in it
 * (links, embedded resources, a read's contents) spelled as the merged
 * lists spell it, so the client can read each back. `sent`: the params as
 * the upstream got them.
 */
async function finish(
  ctx: RequestContext,
  next: Next,
  lists: SessionLists,
  { ids, watch }: Seals,
  upstream: string,
  sent: Params,
  reply: Reply,
): Promise<Reply> {
  if (reply.result === undefined) return reply;
  const { method } = ctx.message;
  let result = reply.result;
  const created = method === 'tools/call' && createsTask(result);
  if (created) watch(ctx, next);
  if (TASK_METHODS.has(method) || created) result = wrapTasks(ctx, ids, upstream, result, created);
  if (linksOf(method, result).length === 0) return result === reply.result ? reply : { result };
  const views = await lists.uriViews(ctx, next, true);
  const asked = ctx.message.params?.uri;
  result = mapLinks(method, result, (uri) => {
    // What a read returns under the URI it was asked by keeps the client's spelling.
    if (method === 'resources/read' && uri === sent.uri && typeof asked === 'string') return asked;
    const exposed = exposeUri(upstream, uri, views);
    return exposed === uri ? undefined : exposed;
  });
  return { result };
}

async function call(ctx: RequestContext, next: Next, health: Health, upstream: string, params: Params): Promise<Reply> {
  const down = health.skipped(upstream);
  if (down !== undefined) {
    // Core's own fail-fast message already says all of it; ours would only wrap it.
    const message = down.message.startsWith(`upstream "${upstream}" is unavailable`) ? down.message : `upstream "${upstream}" is unavailable: ${down.message}`;
    return errorReply(ProxyErrorCode.UpstreamUnavailable, message, down.data);
  }
  // Core throws when it cannot reach the upstream at all (a refused connect, its own back-off):
  // that is news about the upstream's health too, and its code, message and data are relayed as they are.
  const reply = await next({ upstream, message: withParams(ctx.message, params) }).then(
    (r) => r ?? { result: {} },
    (err: unknown) => replyFromError(err, `upstream "${upstream}"`),
  );
  health.observe(upstream, reply);
  return reply;
}

async function list(ctx: RequestContext, next: Next, lists: SessionLists, kind: Kind, params: Params, options: Options): Promise<Reply> {
  let found;
  try {
    found = await lists.view(ctx, next, kind);
  } catch (err) {
    if (!(err instanceof Collision)) throw err;
    ctx.log.error({ upstreams: err.upstreams, item: err.item }, err.message);
    return errorReply(JSONRPCErrorCode.InternalError, err.message, { collision: err.item, upstreams: err.upstreams });
  }
  const { field } = KINDS[kind];
  // Filters before us judged the names they saw; the upstreams' own names are judged here.
  const items = unguarded(ctx.session, kind, found.view);
  // An upstream that waits for its user to sign in is listed as the one tool that signs in.
  const signIns = kind === 'tools' && found.missing.length > 0 ? lists.signIns.tools(ctx, found.missing, options.separator) : [];
  const reply =
    items === undefined && signIns.length === 0 && options.pageSize === undefined && params.cursor === undefined
      ? { result: lists.whole(found.view, field) }
      : paginate([...(items ?? found.view.items), ...signIns], field, params.cursor, options.pageSize);
  // A modern client is told how long the merged list may be kept: as long as its stalest part, as private as its most private.
  if (ctx.client.era !== 'modern' || reply.result === undefined) return reply;
  return { result: { ...reply.result, ...found.hints } };
}

async function initialize(ctx: RequestContext, next: Next, lists: SessionLists, options: Options, health: Health): Promise<Reply> {
  const message = { ...ctx.message, params: withoutClientTasks(ctx.message.params) };
  const replies = await Promise.all(
    ctx.upstreams.map(async (upstream) => {
      const reply = await ask(ctx, next, upstream, message, options.initializeTimeoutMs);
      health.observe(upstream, reply);
      return [upstream, reply] as const;
    }),
  );
  const answered: Array<readonly [string, Params]> = [];
  for (const [upstream, reply] of replies) {
    if (reply.error !== undefined) {
      ctx.log.warn({ upstream, error: reply.error.message }, 'upstream did not initialize; serving without it for now');
      continue;
    }
    const caps = reply.result.capabilities;
    lists.capabilities.set(upstream, typeof caps === 'object' && caps !== null ? (caps as Params) : {});
    answered.push([upstream, reply.result]);
  }
  if (answered.length === 0) {
    const first = replies[0]?.[1];
    const why = replies.map(([u, r]) => `${u}: ${r.error?.message ?? 'no answer'}`).join('; ');
    return errorReply(first?.error?.code ?? ProxyErrorCode.UpstreamUnavailable, `no upstream could be initialized (${why || 'none configured'})`, {
      upstreams: ctx.upstreams,
    });
  }
  return mergeInitialize(ctx.message.params?.protocolVersion, answered, options);
}

/** ping and logging/setLevel: every upstream that may take it; the proxy answers once they have. */
async function fanOut(ctx: RequestContext, next: Next, lists: SessionLists, options: Options): Promise<Reply> {
  const wants =
    ctx.message.method === 'logging/setLevel'
      ? (u: string) => {
          const caps = lists.capabilities.get(u);
          return caps === undefined || caps.logging !== undefined;
        }
      : () => true;
  const replies = await Promise.all(ctx.upstreams.filter(wants).map(async (u) => [u, await ask(ctx, next, u, ctx.message, options.timeoutMs)] as const));
  for (const [upstream, reply] of replies) {
    if (reply.error !== undefined) ctx.log.warn({ upstream, method: ctx.message.method, error: reply.error.message }, 'upstream refused');
  }
  return { result: {} };
}

/** What upstreams send: list changes refresh the view; URIs and loggers are named as the client knows them. */
async function fromUpstream(ctx: Context, next: Next, lists: SessionLists, ids: TaskIds): Promise<Reply | undefined> {
  if (ctx.upstream === undefined) return next();
  const upstream = ctx.upstream;
  const related = ctx.message.params?._meta;
  if (ctx.kind === 'request') {
    // A request about a task (an elicitation while tasks/result waits) names it as the client knows it.
    return related === undefined ? next() : next({ message: { ...ctx.message, params: wrapRelated(ctx, ids, upstream, ctx.message.params ?? {}) } });
  }
  if (TASK_NOTIFICATIONS.has(ctx.message.method)) {
    const params = ctx.message.params ?? {};
    // A shared link tells every session's task news; a session hears of its own tasks only.
    if (!ownsNotified(ctx, upstream, params)) return undefined;
    noteStatus(ctx, upstream, params);
    // A modern notification carries the whole task: links in its result are named as tasks/get names them.
    const views = lists.keptUriViews(ctx.upstreams);
    const wrapped = mapLinks('tasks/get', wrapTasks(ctx, ids, upstream, params, false), (uri) => {
      const exposed = exposeUri(upstream, uri, views);
      return exposed === uri ? undefined : exposed;
    });
    return next({ message: renamed(ctx, wrapped) });
  }
  const changed = CHANGED[ctx.message.method];
  if (changed !== undefined) {
    for (const kind of changed) lists.invalidate(upstream, kind);
    return next();
  }
  const params = ctx.message.params ?? {};
  if (ctx.message.method === 'notifications/resources/updated' && typeof params.uri === 'string') {
    // Every name the client knows the URI by: the merged list's, and those its listens used.
    const spellings = new Set(lists.spellings.of(upstream, params.uri));
    const view = lists.last('resources');
    const exposed = view === undefined ? undefined : exposedOf(view, upstream, params.uri);
    if (exposed !== undefined) spellings.add(exposed);
    if (spellings.size > 1 || (spellings.size === 1 && !spellings.has(params.uri))) {
      await Promise.all([...spellings].map((uri) => next({ message: renamed(ctx, { ...params, uri }) })));
      return undefined;
    }
  }
  if (ctx.message.method === 'notifications/message' && ctx.upstreams.length > 1) {
    const logger = typeof params.logger === 'string' ? `${upstream}/${params.logger}` : upstream;
    return next({ message: renamed(ctx, { ...params, logger }) });
  }
  return next();
}

const renamed = (ctx: NotificationContext, params: Params) => ({ ...ctx.message, params });
