import {
  errorReply,
  isObject,
  JSONRPCErrorCode,
  principalKey,
  replyFromError,
  type Context,
  type Middleware,
  type Params,
  type Reply,
  type RequestContext,
} from '@mcproxy/core';
import { z } from 'zod';
import { ConsentStates, STATE_PREFIX } from './consent-states.js';
import {
  authorizationRequired,
  AUTHORIZATION_REQUIRED,
  inputRequiredOf,
  takesUrlElicitation,
  urlElicitationsOf,
  verdictOf,
  type UrlElicitation,
} from './elicitations.js';

/** What consent rounds need of the process's authorization flows (`AuthorizationFlows` has both). */
export interface ConsentFlows {
  /** The start URL of our flow `flowId`: an elicitation whose URL is this is one of ours. */
  startUrl(flowId: string): string;
  /** Resolves true once the flow stored its tokens, false on timeout or failure. */
  waitFor(elicitationId: string, timeoutMs: number): Promise<boolean>;
}

export interface ConsentRoundsOptions {
  /** The process's authorization flows: a retry of a round for one of them waits for it to finish. */
  flows?: ConsentFlows;
  /** How long a retry waits for its flow before it is forwarded anyway (default 60 s; also ends with the request's signal). */
  waitMs?: number;
  /** Rounds kept for their retries at once (default 10 000; the oldest is dropped first). */
  maxRounds?: number;
  /** How long a round waits for its retry (default 10 min, as long as a flow lives). */
  ttlMs?: number;
}

const optionsSchema = z.object({
  flows: z.custom<ConsentFlows>((v) => isObject(v) && typeof v.startUrl === 'function' && typeof v.waitFor === 'function', 'an AuthorizationFlows').optional(),
  waitMs: z.number().int().min(0).max(600_000).optional(),
  maxRounds: z.number().int().min(1).max(1_000_000).optional(),
  ttlMs: z.number().int().min(1000).max(3_600_000).optional(),
});

/** The requests a 2026-07-28 server may answer `input_required`, and what names the thing each asks for. */
const ROUND_TRIP: Readonly<Record<string, string>> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' };

const nameOf = (ctx: RequestContext): string => String(ctx.message.params?.[ROUND_TRIP[ctx.message.method] ?? 'name'] ?? '');

/**
 * Gives a "URL elicitation required" error (-32042: from an upstream's
 * credentials when a user must authorize first, or from a 2025-11-25
 * upstream that asks for it itself) to each client as it can take it:
 *
 * - a 2025-era client that declared `elicitation.url`: as it is;
 * - a 2026-07-28 client that declared it, on `tools/call`, `prompts/get` or
 *   `resources/read`: an `input_required` round of URL-mode
 *   `elicitation/create` requests with a `requestState` of ours (random,
 *   one use, bound to the principal and the request). Its retry loses both
 *   `requestState` and `inputResponses`, waits (at most `waitMs`, and never
 *   past its signal) for the flow when the URL is one of `flows`', and goes
 *   on as the original request;
 * - any other client: error -32019 whose message carries the URL.
 *
 * Place it first in the chain, so the retry's state is gone before anything
 * that keeps state of its own (the bridge, aggregate) looks for it.
 *
 * @example
 * createProxy({ upstreams, middleware: [consentRounds({ flows }), ...rest] });
 */
export function consentRounds(options: ConsentRoundsOptions = {}): Middleware {
  const parsed = optionsSchema.parse(options);
  const waitMs = parsed.waitMs ?? 60_000;
  const states = new ConsentStates(parsed.maxRounds ?? 10_000, parsed.ttlMs ?? 600_000);
  const flows = parsed.flows;

  const isOurs = (e: UrlElicitation): boolean => flows !== undefined && flows.startUrl(e.elicitationId) === e.url;

  /** Waits for every flow of ours the round sent the user to, bounded by `waitMs` and the request's signal. */
  const waitForFlows = async (elicitations: UrlElicitation[], signal: AbortSignal): Promise<void> => {
    const ours = elicitations.filter(isOurs);
    if (ours.length === 0 || flows === undefined || signal.aborted) return;
    let onAbort = (): void => {};
    const aborted = new Promise<void>((resolve) => {
      onAbort = () => resolve();
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([Promise.all(ours.map((e) => flows.waitFor(e.elicitationId, waitMs).catch(() => false))), aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  };

  /** A retry of one of our rounds: its state checked and taken out, the flow waited for; undefined to go on, or the reply. */
  const retry = async (ctx: RequestContext, params: Params): Promise<Reply | undefined> => {
    const { requestState, inputResponses, ...rest } = params;
    const found = states.take(String(requestState), { principal: principalKey(ctx.session.principal), method: ctx.message.method, name: nameOf(ctx) });
    if ('refused' in found) return errorReply(JSONRPCErrorCode.InvalidParams, `Invalid params: requestState does not fit: ${found.refused}`);
    ctx.message = { ...ctx.message, params: rest };
    // Expired or dropped: the request goes on as new; without a token it gets a new round.
    if ('unknown' in found) return undefined;
    const urls = found.round.elicitations;
    if (verdictOf(inputResponses) === 'declined') {
      return authorizationRequired(errorReply(AUTHORIZATION_REQUIRED, 'The user declined to authorize'), urls, ctx.upstream);
    }
    await waitForFlows(urls, ctx.signal);
    return undefined;
  };

  /** The -32042 `reply` as this client can take it. */
  const shape = (ctx: RequestContext, reply: Reply, elicitations: UrlElicitation[]): Reply => {
    // A session must open before its user can be sent anywhere: its requests ask again, one by one.
    if (ctx.message.method === 'initialize') return sessionAwaitingConsent(ctx, elicitations);
    const canOpen = takesUrlElicitation(ctx.client.capabilities);
    if (canOpen && ctx.client.era === 'legacy') return reply;
    if (canOpen && ROUND_TRIP[ctx.message.method] !== undefined) {
      const state = states.open({ principal: principalKey(ctx.session.principal), method: ctx.message.method, name: nameOf(ctx), elicitations });
      return inputRequiredOf(elicitations, state);
    }
    return authorizationRequired(reply, elicitations, ctx.upstream);
  };

  return async function consentRounds(ctx: Context, next) {
    if (ctx.kind !== 'request' || ctx.direction !== 'upstream') return next();
    const params = ctx.message.params;
    const state = params?.requestState;
    if (params !== undefined && typeof state === 'string' && state.startsWith(STATE_PREFIX) && ROUND_TRIP[ctx.message.method] !== undefined) {
      const early = await retry(ctx, params);
      if (early !== undefined) return early;
    }
    const reply = await next().catch((err: unknown) => {
      // A link that could not open (the bridge's handshake) throws its refusal: a -32042 is still a round.
      const refused = replyFromError(err, 'consent rounds');
      if (urlElicitationsOf(refused) === undefined) throw err;
      return refused;
    });
    const elicitations = urlElicitationsOf(reply);
    return elicitations === undefined || reply === undefined ? reply : shape(ctx, reply, elicitations);
  };
}

const LEGACY_REVISIONS: ReadonlySet<string> = new Set(['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05']);

/**
 * A 2025-era `initialize` whose upstream wants the user to authorize first:
 * the session opens (the client could not act on an error here), saying the
 * URL in its instructions and declaring the features a proxy may serve; each
 * request then initializes the upstream again and, until the user has
 * authorized, is answered -32042 (or -32019 with the URL) as above.
 */
function sessionAwaitingConsent(ctx: RequestContext, elicitations: readonly UrlElicitation[]): Reply {
  const asked = ctx.message.params?.protocolVersion;
  return {
    result: {
      protocolVersion: typeof asked === 'string' && LEGACY_REVISIONS.has(asked) ? asked : '2025-11-25',
      capabilities: { tools: { listChanged: true }, prompts: { listChanged: true }, resources: { listChanged: true } },
      serverInfo: { name: 'mcproxy', version: '0' },
      instructions: elicitations.map((e) => `${e.message} Open ${e.url}`).join('\n'),
    },
  };
}
