import { describe, expect, it } from 'vitest';
import { abortedOf, Cancellation, MADE_CONTEXT } from './cancellation.js';

describe('Cancellation', () => {
  it('calls each listener once with the reason, and a listener taken off not at all', () => {
    const cancel = new Cancellation();
    const heard: unknown[] = [];
    cancel.onAbort((r) => heard.push(['a', r]));
    const off = cancel.onAbort((r) => heard.push(['b', r]));
    off();
    const reason = new Error('stop');
    cancel.abort(reason);
    cancel.abort(new Error('again'));
    expect(heard).toEqual([['a', reason]]);
    expect(cancel.aborted).toBe(true);
    expect(cancel.reason).toBe(reason);
  });

  it('makes a signal only when asked, aborted with the same reason before or after', () => {
    const early = new Cancellation();
    const signal = early.signal;
    expect(signal.aborted).toBe(false);
    expect(early.signal).toBe(signal);
    early.abort('why');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('why');

    const late = new Cancellation();
    late.abort('gone');
    expect(late.signal.aborted).toBe(true);
    expect(late.signal.reason).toBe('gone');
  });
});

describe('abortedOf', () => {
  it("reads a made context's cancellation without making its signal, and a copy's own signal", () => {
    const cancellation = new Cancellation();
    const ctx = { __proto__: MADE_CONTEXT, cancellation } as unknown as { signal: AbortSignal };
    expect(abortedOf(ctx)).toBe(false);
    cancellation.abort(new Error('gone'));
    expect(abortedOf(ctx)).toBe(true);
    // No AbortSignal was made for either answer.
    expect((cancellation as unknown as { controller?: AbortController }).controller).toBeUndefined();
    // A copy stands on the signal it carries.
    const controller = new AbortController();
    const copy = { ...ctx, signal: controller.signal };
    expect(abortedOf(copy)).toBe(false);
    controller.abort();
    expect(abortedOf(copy)).toBe(true);
  });
});
