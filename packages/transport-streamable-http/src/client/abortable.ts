/** What the HTTP client needs of a request's abort: an `AbortSignal` will do, and so will the cheaper `RequestAbort`. */
export interface Abortable {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * One request's abort: a flag and its listeners. Node's `AbortController`
 * costs microseconds to make and to listen to, on every request, and most
 * requests are never aborted. Listeners are called once.
 */
export class RequestAbort implements Abortable {
  aborted = false;
  private listeners: Array<() => void> | undefined;

  addEventListener(_type: 'abort', listener: () => void): void {
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const at = this.listeners?.indexOf(listener) ?? -1;
    if (at >= 0) this.listeners?.splice(at, 1);
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    for (const listener of this.listeners?.splice(0) ?? []) listener();
  }
}
