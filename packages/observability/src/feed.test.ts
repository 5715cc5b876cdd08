import type { ServerResponse } from 'node:http';
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Feed, MAX_WATCHERS } from './feed.js';

/** A stand-in for an SSE response: what was written, and how much is still waiting for the reader. */
function response(writableLength = 0) {
  const res = Object.assign(new EventEmitter(), {
    written: [] as string[],
    writableLength,
    destroyed: false,
    writeHead: () => res,
    write(chunk: string) {
      res.written.push(chunk);
      return true;
    },
    end: () => undefined,
    destroy() {
      res.destroyed = true;
    },
  });
  return res;
}

describe('Feed', () => {
  it('counts traffic per second over the last ten minutes, zeros where nothing happened', () => {
    const feed = new Feed();
    const t = 1_700_000_000_000;
    feed.count(t, 10, false);
    feed.count(t + 200, 30, true);
    feed.count(t + 2000, 5, false);
    expect(feed.series(t + 2000, 3)).toEqual([
      [t / 1000, 2, 1, 20, 30],
      [t / 1000 + 1, 0, 0, 0, 0],
      [t / 1000 + 2, 1, 0, 5, 5],
    ]);
    // Ten minutes later the slot is reused, not summed.
    feed.count(t + 600_000, 7, false);
    expect(feed.series(t + 600_000, 1)).toEqual([[t / 1000 + 600, 1, 0, 7, 7]]);
  });

  it('sends events to watchers only, replays the recent ones to a new watcher, and refuses past the bound', () => {
    const feed = new Feed();
    expect(feed.watched).toBe(false);
    feed.publish({ t: 1, route: '/mcp', method: 'ping', upstream: 'a', outcome: 'ok', ms: 1 });
    const first = response();
    expect(feed.watch(first as unknown as ServerResponse, { hello: 1 })).toBe(true);
    expect(first.written).toEqual([
      'event: snapshot\ndata: {"hello":1}\n\n',
      'event: request\ndata: {"t":1,"route":"/mcp","method":"ping","upstream":"a","outcome":"ok","ms":1}\n\n',
    ]);
    for (let i = 1; i < MAX_WATCHERS; i++) feed.watch(response() as unknown as ServerResponse, {});
    expect(feed.watch(response() as unknown as ServerResponse, {})).toBe(false);
    first.emit('close');
    expect(feed.watch(response() as unknown as ServerResponse, {})).toBe(true);
  });

  it('cuts a watcher that does not read instead of buffering for it', () => {
    const feed = new Feed();
    const slow = response(2 * 1024 * 1024);
    feed.watch(slow as unknown as ServerResponse, {});
    expect(slow.destroyed).toBe(true);
    feed.send('tick', {});
    expect(feed.watched).toBe(false);
  });
});
