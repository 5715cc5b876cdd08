import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IdleWatch } from './idle.js';

const response = (): ServerResponse => new EventEmitter() as unknown as ServerResponse;

afterEach(() => {
  vi.useRealTimers();
});

describe('IdleWatch', () => {
  it('fires only after ms with nothing open, and never while a response (an SSE stream) is open', () => {
    vi.useFakeTimers();
    const onIdle = vi.fn();
    const watch = new IdleWatch(1000, onIdle);
    const stream = response();
    watch.track(stream);
    vi.advanceTimersByTime(5000);
    expect(onIdle).not.toHaveBeenCalled();
    stream.emit('close');
    vi.advanceTimersByTime(999);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it('starts over with each request, and does nothing when off or stopped', () => {
    vi.useFakeTimers();
    const onIdle = vi.fn();
    const watch = new IdleWatch(1000, onIdle);
    vi.advanceTimersByTime(900);
    const req = response();
    watch.track(req);
    req.emit('close');
    vi.advanceTimersByTime(900);
    expect(onIdle).not.toHaveBeenCalled();
    watch.stop();
    vi.advanceTimersByTime(5000);
    expect(onIdle).not.toHaveBeenCalled();
    const off = new IdleWatch(0, onIdle);
    off.track(response());
    vi.advanceTimersByTime(60_000);
    expect(onIdle).not.toHaveBeenCalled();
  });

  it('stays stopped when a response closes after stop (the DELETE that ended the session)', () => {
    vi.useFakeTimers();
    const onIdle = vi.fn();
    const watch = new IdleWatch(1000, onIdle);
    const del = response();
    watch.track(del);
    watch.stop();
    del.emit('close');
    // A timer armed now would hold the closed session (through onIdle) until it fired.
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(5000);
    expect(onIdle).not.toHaveBeenCalled();
  });

  it('closes a session never used after its initialize after unusedMs, a used one after ms', () => {
    vi.useFakeTimers();
    const onIdle = vi.fn();
    const unused = new IdleWatch(10_000, onIdle, 1000);
    const init = response();
    unused.track(init);
    init.emit('close');
    vi.advanceTimersByTime(1000);
    expect(onIdle).toHaveBeenCalledTimes(1);
    const used = new IdleWatch(10_000, onIdle, 1000);
    for (const res of [response(), response()]) {
      used.track(res);
      res.emit('close');
    }
    vi.advanceTimersByTime(9999);
    expect(onIdle).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(onIdle).toHaveBeenCalledTimes(2);
  });
});
