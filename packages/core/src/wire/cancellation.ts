/** A request's cancellation: a flag and its listeners, and an `AbortSignal` only once something asks (Node's costs about 2 µs to make, as much to listen to). */
export class Cancellation {
  aborted = false;
  reason: unknown;
  private controller: AbortController | undefined;
  private listeners: Array<(reason: unknown) => void> | undefined;

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
    for (const listener of this.listeners?.splice(0) ?? []) listener(reason);
  }

  /** Calls `listener` once, when this aborts; returns what stops that. */
  onAbort(listener: (reason: unknown) => void): () => void {
    (this.listeners ??= []).push(listener);
    return () => void this.listeners?.splice(this.listeners.indexOf(listener) >>> 0, 1); // not found: -1 >>> 0 is past the end, nothing goes
  }
}

/** What a request can be aborted by: core's cancellation, or a signal. */
export type Abort = Cancellation | AbortSignal;

/** Calls `listener` once, with the reason, when `abort` aborts; returns what stops that. */
export function onAbort(abort: Abort | undefined, listener: (reason: unknown) => void): () => void {
  if (abort === undefined) return () => undefined;
  if (abort instanceof Cancellation) return abort.onAbort(listener);
  const heard = (): void => listener(abort.reason);
  abort.addEventListener('abort', heard, { once: true });
  return () => abort.removeEventListener('abort', heard);
}

/** The prototype of the contexts core makes (`{ __proto__: MADE_CONTEXT, …, cancellation }`): `signal` made only when read. A copy (a fork) names `signal`. */
export const MADE_CONTEXT = {
  get signal(): AbortSignal {
    return (this as unknown as { cancellation: Cancellation }).cancellation.signal;
  },
};

/** Core's cancellation of a context it made and no one copied; undefined for a copy, whose `signal` is what counts. */
export const cancellationOf = (ctx: object): Cancellation | undefined =>
  Object.getPrototypeOf(ctx) === MADE_CONTEXT ? (ctx as { cancellation: Cancellation }).cancellation : undefined;

/** Whether a context's request was cancelled, without making the `AbortSignal` of a context core made (a middleware asking on every request). */
export const abortedOf = (ctx: { signal: AbortSignal }): boolean => cancellationOf(ctx)?.aborted ?? ctx.signal.aborted;
