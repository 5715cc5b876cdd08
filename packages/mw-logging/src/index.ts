import { performance } from 'node:perf_hooks';
import {
  abortedOf,
  ConfigError,
  defineMiddleware,
  logId,
  META,
  replyFromError,
  type ClientContext,
  type Context,
  type Params,
  type Principal,
  type Reply,
} from '@mcproxy/core';
import { pino, type Logger as Pino } from 'pino';
import { nameOf } from './describe.js';
import { openDestination } from './destination.js';
import { loggingOptionsSchema, type ResolvedLoggingOptions } from './options.js';
import { capPayload } from './payload.js';

export { loggingOptionsSchema, type LoggingOptions, type ResolvedLoggingOptions } from './options.js';
export { capPayload, CUT, type Capped } from './payload.js';
export { nameOf } from './describe.js';

/** How a request ended, as the pair line says. */
export type Outcome = 'ok' | 'error' | 'cancelled';

type Line = Record<string, unknown>;

function createTrafficLogger(options: ResolvedLoggingOptions, log: Parameters<typeof openDestination>[1]): Pino {
  const stream = openDestination(options.destination, log);
  try {
    // No pino `name`: it would clash with the line's own `name` field (the tool, prompt or URI).
    return pino(
      {
        level: options.level,
        // Redaction is pino's own, applied as each line is written; the paths are the payloads' own.
        redact: { paths: options.redact, censor: '[redacted]' },
      },
      stream,
    );
  } catch (err) {
    throw new ConfigError(`invalid options for middleware "logging":\n  redact: ${err instanceof Error ? err.message : String(err)}`);
  }
}

const roundMs = (ms: number): number => Math.round(ms * 1000) / 1000;

const short = (v: unknown): string | undefined => (typeof v === 'string' ? v.slice(0, 100) : undefined);

/** Who a client says it is, as `name/version` and no more: the rest of clientInfo is not the log's business. */
const whoIs = (info: unknown): string | undefined => {
  if (typeof info !== 'object' || info === null) return undefined;
  const { name, version } = info as Params;
  if (short(name) === undefined && short(version) === undefined) return undefined;
  return `${short(name) ?? '?'}/${short(version) ?? '?'}`;
};

/** The era and revision a request came in on, and the client's name and version, as request lines carry them. */
function clientFields(client: ClientContext | undefined): Line {
  if (client === undefined || client.unstated === true) return {};
  const who = whoIs(client.info);
  return { era: client.era, protocolVersion: short(client.protocolVersion), ...(who === undefined ? {} : { client: who }) };
}

/** Who sent a message, as every line says it: the principal's id and how it was proven (never a credential). */
const principalFields = (principal: Principal | undefined): Line => (principal === undefined ? {} : { principal: principal.id, auth: principal.kind });

/** Params as logged: an envelope's clientInfo left in `_meta` (core strips modern ones) is cut to name and version. */
function loggable(params: Params): Params {
  const meta = params._meta as Params | undefined;
  if (typeof meta !== 'object' || meta === null || !(META.clientInfo in meta)) return params;
  return { ...params, _meta: { ...meta, [META.clientInfo]: whoIs(meta[META.clientInfo]) } };
}

/**
 * One structured pino line per message that passes (kind `request` or
 * `notification`), and one per answered request (kind `response`) with its
 * outcome and `durationMs`. Lines carry the session id and a per-session
 * sequence number (`seq`) instead of JSON-RPC ids, which are core's; a
 * request and its response share a `seq`. Every line names the session's
 * principal (`principal`, `auth`: how it was proven) where the face
 * authenticated one. With `audit: true`, only one line per client request
 * (kind `audit`: who, method, name, outcome, duration), written when it ends.
 *
 * @example
 * const mw = logging({ destination: '/var/log/mcproxy/traffic.log', payloads: true, redact: ['params.arguments.password'] }, { log });
 */
export const logging = defineMiddleware('logging', loggingOptionsSchema, (options, env) => {
  const out = createTrafficLogger(options, env.log);
  const write = (line: Line, msg: string): void => out[options.level](line, msg);
  // Per pipeline entry, so two logging entries count on their own.
  const SEQ = Symbol('mw-logging seq');
  const nextSeq = (ctx: Context): number => {
    const seq = ((ctx.session.state.get(SEQ) as number | undefined) ?? 0) + 1;
    ctx.session.state.set(SEQ, seq);
    return seq;
  };

  /** Cuts a payload to size; what was cut is noted on the line under `truncated`, with its full size. */
  const cap = (line: Line, path: string, value: unknown): unknown => {
    const capped = capPayload(value, options.maxPayloadBytes);
    if (capped.cutFrom !== undefined) line.truncated = { ...(line.truncated as Line | undefined), [path]: capped.cutFrom };
    return capped.value;
  };

  const outcomeOf = (ctx: Context, reply: Reply | undefined): Outcome => (abortedOf(ctx) ? 'cancelled' : reply?.error !== undefined ? 'error' : 'ok');

  return async function logging(ctx, next) {
    const { method, params } = ctx.message;
    const base: Line = {
      kind: ctx.kind,
      direction: ctx.direction,
      session: logId(ctx.session.id),
      seq: nextSeq(ctx),
      upstream: ctx.upstream,
      method,
      name: nameOf(method, params),
      ...(ctx.kind === 'request' ? clientFields(ctx.client) : {}),
      ...principalFields(ctx.session.principal),
    };
    // The audit preset writes one line per client request, when it ends.
    if (options.audit && (ctx.kind === 'notification' || ctx.direction === 'downstream')) return next();
    const first: Line = { ...base };
    if (options.payloads && params !== undefined) first.params = cap(first, 'params', loggable(params));
    if (!options.audit) write(first, `${ctx.kind} ${method}`);
    if (ctx.kind === 'notification') return next();

    const started = performance.now();
    const pair = (reply: Reply | undefined, outcome: Outcome): void => {
      const line: Line = { ...base, kind: options.audit ? 'audit' : 'response', outcome, durationMs: roundMs(performance.now() - started) };
      if (options.audit && first.params !== undefined) line.params = first.params;
      // A tool that failed answers with a result: the line says so, since `outcome` is about the protocol.
      if (reply?.result?.isError === true) line.isError = true;
      if (reply?.error !== undefined) {
        const { code, message, data } = reply.error;
        const error: Line = { code, message };
        if (options.payloads && data !== undefined) error.data = cap(line, 'error.data', data);
        line.error = error;
      }
      if (options.payloads && reply?.result !== undefined) line.result = cap(line, 'result', reply.result);
      write(line, `response ${method} ${outcome}`);
    };
    let reply: Reply | undefined;
    try {
      reply = await next();
    } catch (err) {
      // What core will answer for the throw; a cancelled request is not answered at all.
      pair(replyFromError(err, method), abortedOf(ctx) ? 'cancelled' : 'error');
      throw err;
    }
    pair(reply, outcomeOf(ctx, reply));
    return reply;
  };
});

export default logging;
