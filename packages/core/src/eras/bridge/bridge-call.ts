/**
 * A call of a 2025-era upstream made for a 2026-07-28 client. When the
 * upstream asks for input mid-call (elicitation, sampling, roots), the call
 * is parked: the client is answered `input_required` with those requests and
 * a sealed `requestState`, and the call waits here, still running upstream,
 * until the client's retry brings the answers, or until it is cancelled.
 */
import { randomUUID } from 'node:crypto';
import type { ClientContext } from '../../chain/client-context.js';
import { ProxyErrorCode } from '../../wire/errors.js';
import { errorReply, JSONRPCErrorCode, type Params, type Reply } from '../../wire/jsonrpc.js';
import type { Origin } from '../../links/upstream-side.js';
import { NEEDS } from '../legacy/server.js';
import { McpErrorCode } from '../modern/modern.js';

/** What a parked call is bound to: only a retry of the same request, to the same upstream (and, with authentication, by the same principal), may resume it. */
export interface Binding {
  upstream: string;
  method: string;
  /** The tool or prompt name, or the resource URI. */
  name: string;
  principal?: string;
}

/** A request the upstream pushed, waiting for the client's answer. */
interface Push {
  key: string;
  method: string;
  params: Params | undefined;
  answer(reply: Reply): void;
}

/** What the calls need from the table that parks them. */
export interface ParkingLot {
  /** Parks `call` for a round; the refusal to give its pushes when the table (or the principal's share of it) is full. */
  park(call: BridgedCall): Reply | undefined;
  unpark(call: BridgedCall): void;
  /** The sealed requestState of `call`'s current round. */
  stateOf(call: BridgedCall): string;
  readonly parkedMs: number;
}

/** Pushes the upstream sends within this long of one another are one round (they usually come in one burst). */
const GATHER_MS = 10;

/** The client capability each push needs: what a 2025-era client must declare to be asked it. */
export const PUSH_NEEDS = NEEDS;

/**
 * The capabilities a failed call says it lacked: a 2025-era server whose
 * session never declared a capability (the bridge declares only what the
 * request did) fails a tool that needs it, in words the SDKs share: the
 * push's method and that the client did not declare (or does not support)
 * it. Only capabilities this request really did not declare count, so a
 * failure for another reason is passed on as it is.
 */
function refusedFor(final: Reply, client: ClientContext | undefined): string[] {
  const content = final.result?.content;
  const said = final.error?.message ?? (Array.isArray(content) ? content.map((c) => (isText(c) ? c.text : '')).join(' ') : '');
  if (!/\b(not declare|does not support|doesn't support|not supported)/i.test(said)) return [];
  return Object.entries(PUSH_NEEDS)
    .filter(([method, capability]) => said.includes(method) && client?.capabilities[capability] === undefined)
    .map(([, capability]) => capability);
}

const isText = (c: unknown): c is { text: string } => typeof c === 'object' && c !== null && typeof (c as { text?: unknown }).text === 'string';

const KEY_PREFIX: Readonly<Record<string, string>> = { 'elicitation/create': 'elicit', 'sampling/createMessage': 'sample', 'roots/list': 'roots' };

export class BridgedCall {
  readonly id = randomUUID();
  /** The round the client is answering; 0 before the first. */
  round = 0;
  /** Aborts the upstream request (which sends it `notifications/cancelled`). */
  readonly controller = new AbortController();
  /** The client request currently waiting on the call; what the upstream says about the call reaches it. */
  client: ClientContext | undefined;
  /** Progress for the attached request, with its own token. */
  private progressTo: ((params: Params) => void) | undefined;
  private queued: Push[] = [];
  private readonly asked = new Map<string, Push>();
  /** Capabilities a push needed that the client had not declared. */
  private readonly missing = new Set<string>();
  private final: Reply | undefined;
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private counter = 0;
  private ended = false;

  constructor(
    readonly binding: Binding,
    /** The upstream request's tag, moved to each request that attaches. */
    readonly origin: Origin,
    private readonly lot: ParkingLot,
  ) {}

  /** Is the call waiting for a client's retry? */
  get parked(): boolean {
    return this.asked.size > 0 || this.timer !== undefined;
  }

  /** A client request takes the call over: what the upstream says about the call goes to it now. */
  attach(origin: Origin, client: ClientContext | undefined, onProgress: ((params: Params) => void) | undefined, token: unknown): void {
    this.origin.session = origin.session;
    this.origin.downstreamId = origin.downstreamId;
    this.client = client;
    const t = token;
    this.progressTo = onProgress === undefined || (typeof t !== 'string' && typeof t !== 'number') ? undefined : (p) => onProgress({ ...p, progressToken: t });
  }

  progress(params: Params): void {
    this.progressTo?.(params);
  }

  /** The upstream answered the call. */
  finish(reply: Reply): void {
    if (this.final !== undefined) return;
    this.final = reply;
    this.wake?.();
    // Unattached (the client has not retried yet): its retry, if it comes, gets the answer.
    if (this.timer !== undefined) this.rearm();
  }

  /** A request the upstream sent about this call; resolves with the client's answer, or an error to give the upstream. */
  push(method: string, params: Params | undefined, signal: AbortSignal): Promise<Reply> {
    if (this.ended) return Promise.resolve(errorReply(ProxyErrorCode.SessionClosed, `the call this ${method} belongs to has ended`));
    const capability = PUSH_NEEDS[method];
    if (capability !== undefined && this.client !== undefined && this.client.capabilities[capability] === undefined) {
      this.missing.add(capability);
      return Promise.resolve(
        errorReply(JSONRPCErrorCode.MethodNotFound, `the client did not declare the "${capability}" capability on this request, so it cannot answer ${method}`),
      );
    }
    return new Promise<Reply>((resolve) => {
      const key = `${KEY_PREFIX[method] ?? 'input'}-${++this.counter}`;
      // The push's own progress token means nothing to the modern client.
      const meta = params?._meta as Params | undefined;
      const { progressToken: _token, ...rest } = meta ?? {};
      const embedded = meta === undefined ? params : { ...params, ...(Object.keys(rest).length > 0 ? { _meta: rest } : {}) };
      if (embedded !== undefined && Object.keys(rest).length === 0) delete embedded._meta;
      const push: Push = { key, method, params: embedded, answer: resolve };
      this.queued.push(push);
      signal.addEventListener(
        'abort',
        () => {
          this.queued = this.queued.filter((p) => p !== push);
          this.asked.delete(key);
          resolve(errorReply(ProxyErrorCode.SessionClosed, `${method} was cancelled`));
        },
        { once: true },
      );
      this.wake?.();
    });
  }

  /**
   * Waits, for the attached client request, for the call's next word: the
   * upstream's answer, or a round of input requests (everything it pushed
   * within a moment of the first). A request whose signal aborts (the
   * client went away) cancels the call.
   */
  async next(signal: AbortSignal): Promise<Reply> {
    for (;;) {
      if (this.final !== undefined) return this.answer();
      if (this.queued.length > 0) {
        await new Promise((r) => setTimeout(r, GATHER_MS));
        if (this.final !== undefined) return this.answer();
        if (signal.aborted) return this.gone();
        const round = this.open();
        if (round !== undefined) return round;
        continue;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
      this.wake = undefined;
      if (signal.aborted) return this.gone();
    }
  }

  /**
   * A retry's answers. Each request of the round it answers goes back to the
   * upstream; one it left out (or answered with something other than an
   * object) is asked again in the next round, and keys nobody asked for are
   * ignored, as SEP-2322 recommends. Only `inputResponses` that are not an
   * object at all are an error (the caller cancels the call).
   */
  resume(responses: unknown): Reply | undefined {
    if (responses !== undefined && (typeof responses !== 'object' || responses === null || Array.isArray(responses))) {
      return errorReply(JSONRPCErrorCode.InvalidParams, 'Invalid params: inputResponses must be an object with one answer for each of the inputRequests');
    }
    const given = (responses ?? {}) as Params;
    this.disarm();
    const again: Push[] = [];
    for (const [key, push] of this.asked) {
      const answer = given[key];
      if (typeof answer === 'object' && answer !== null && !Array.isArray(answer)) push.answer({ result: answer as Params });
      else again.push(push);
    }
    this.asked.clear();
    this.queued = [...again, ...this.queued];
    return undefined;
  }

  /** Ends the call: the upstream request is cancelled and every push still waiting is refused. */
  cancel(reason: string): void {
    if (this.ended) return;
    this.end(reason);
    this.controller.abort(new Error(reason));
  }

  private answer(): Reply {
    const final = this.final!;
    this.end('the call has ended');
    const failed = final.error !== undefined || final.result?.isError === true;
    if (failed) for (const capability of refusedFor(final, this.client)) this.missing.add(capability);
    // The upstream needed what the request did not declare, and failed without it (a tool's failure is an isError result).
    if (this.missing.size > 0 && failed) {
      const requiredCapabilities = Object.fromEntries([...this.missing].map((c) => [c, {}]));
      return errorReply(
        McpErrorCode.MissingRequiredClientCapability,
        `the upstream needed ${[...this.missing].join(', ')} from the client, which this request did not declare (it answered: ${(final.error?.message ?? 'an error result').slice(0, 200)})`,
        { requiredCapabilities },
      );
    }
    return final;
  }

  /** The client went away while it waited: nobody will answer, so the upstream call is cancelled. */
  private gone(): Reply {
    this.cancel('the client went away');
    return errorReply(ProxyErrorCode.SessionClosed, 'the request was cancelled');
  }

  /** Parks the call with what is queued as one round; undefined (pushes refused) when too many calls are parked. */
  private open(): Reply | undefined {
    const refused = this.lot.park(this);
    if (refused !== undefined) {
      for (const push of this.queued) push.answer(refused);
      this.queued = [];
      return undefined;
    }
    this.round += 1;
    const inputRequests: Params = {};
    for (const push of this.queued) {
      this.asked.set(push.key, push);
      inputRequests[push.key] = push.params === undefined ? { method: push.method } : { method: push.method, params: push.params };
    }
    this.queued = [];
    this.rearm();
    this.progressTo = undefined;
    return { result: { resultType: 'input_required', inputRequests, requestState: this.lot.stateOf(this) } };
  }

  /** Gives the client `parkedMs` to come back, from now. */
  private rearm(): void {
    this.disarm();
    this.timer = setTimeout(() => this.cancel(`no retry came within ${this.lot.parkedMs} ms`), this.lot.parkedMs);
    this.timer.unref?.();
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private end(reason: string): void {
    this.ended = true;
    this.disarm();
    this.lot.unpark(this);
    const left = [...this.queued, ...this.asked.values()];
    this.queued = [];
    this.asked.clear();
    for (const push of left) push.answer(errorReply(ProxyErrorCode.SessionClosed, `${push.method} was not answered: ${reason}`));
  }
}
