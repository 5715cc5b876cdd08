import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { recordingLogger } from '@mcproxy/testing';
import { EventBudget, MemoryEventLog } from './event-store.js';
import { createEventStore } from './sdk-event-store.js';

const note = (n: number): JSONRPCMessage => ({ jsonrpc: '2.0', method: 'notifications/message', params: { n } });

async function replay(store: ReturnType<typeof createEventStore>, after: string): Promise<{ stream: string; sent: Array<[string, unknown]> }> {
  const sent: Array<[string, unknown]> = [];
  const stream = await store.replayEventsAfter(after, { send: async (id, m) => void sent.push([id, (m as { params?: { n?: number } }).params?.n]) });
  return { stream, sent };
}

describe('createEventStore', () => {
  it('replays what came after an event on that stream only, skipping priming events', async () => {
    const store = createEventStore();
    const priming = await store.storeEvent('s1', {} as JSONRPCMessage);
    const first = await store.storeEvent('s1', note(1));
    await store.storeEvent('other', note(99));
    const second = await store.storeEvent('s1', note(2));
    expect(await store.getStreamIdForEventId?.(priming)).toBe('s1');
    const { stream, sent } = await replay(store, priming);
    expect(stream).toBe('s1');
    expect(sent).toEqual([
      [first, 1],
      [second, 2],
    ]);
    expect((await replay(store, first)).sent).toEqual([[second, 2]]);
  });

  it('keeps at most eventsPerStream events, and says so when a resume comes from before them', async () => {
    const log = recordingLogger();
    const store = createEventStore({ eventsPerStream: 2, streams: 10 }, log);
    const ids = [];
    for (let n = 1; n <= 4; n++) ids.push(await store.storeEvent('s', note(n)));
    expect((await replay(store, ids[0]!)).sent.map(([, n]) => n)).toEqual([3, 4]);
    expect(log.lines.some((l) => l.level === 'warn')).toBe(true);
  });

  it('drops the stream written to least recently when there are too many', async () => {
    const store = createEventStore({ eventsPerStream: 10, streams: 2 });
    const a = await store.storeEvent('a', note(1));
    const b = await store.storeEvent('b', note(2));
    await store.storeEvent('a', note(3));
    await store.storeEvent('c', note(4));
    expect(await store.getStreamIdForEventId?.(a)).toBe('a');
    expect(await store.getStreamIdForEventId?.(b)).toBeUndefined();
    await expect(replay(store, b)).rejects.toThrow(/no stream/);
  });

  it('does not know ids it never gave out', async () => {
    const store = createEventStore();
    expect(await store.getStreamIdForEventId?.('garbage')).toBeUndefined();
    expect(await store.getStreamIdForEventId?.('_GET_stream#12')).toBeUndefined();
  });

  it("keeps at most the budget's bytes over every session sharing it, oldest first, and gives a closed session's bytes back", async () => {
    const budget = new EventBudget(1000);
    const log = recordingLogger();
    const a = createEventStore(undefined, log, budget);
    const b = createEventStore(undefined, log, budget);
    const big = (n: number): JSONRPCMessage => ({ jsonrpc: '2.0', method: 'notifications/message', params: { n, pad: 'x'.repeat(300) } });
    const first = await a.storeEvent('s', big(1));
    await a.storeEvent('s', big(2));
    await b.storeEvent('s', big(3));
    await a.storeEvent('s', big(4));
    expect(budget.bytes).toBeLessThanOrEqual(1000);
    expect(budget.evicted).toBe(2);
    // Session a's oldest events went first, b's newer one stays: a resume after a's first has lost its second, and says so.
    expect(a.gapBefore(first)).toBe(true);
    expect((await replay(a, first)).sent.map(([, n]) => n)).toEqual([4]);
    expect(log.lines.some((l) => l.level === 'warn')).toBe(true);
    b.dispose();
    a.dispose();
    expect(budget.bytes).toBe(0);
  });

  it('MemoryEventLog: one log per session over one budget, each dropped with its session', async () => {
    const events = new MemoryEventLog({ eventsPerStream: 10, streams: 2 }, new EventBudget(1000));
    const a = events.forSession('a');
    const b = events.forSession('b');
    const first = await a.append('s', { jsonrpc: '2.0', method: 'notifications/message', params: { n: 1 } });
    await b.append('s', { jsonrpc: '2.0', method: 'notifications/message', params: { n: 2 } });
    expect(events.bytes).toBeGreaterThan(0);
    expect(a.streamOf(first)).toBe('s');
    expect(b.gapBefore(first)).toBe(false);
    a.drop();
    expect(a.gapBefore(first)).toBeUndefined();
    b.drop();
    expect(events.bytes).toBe(0);
  });
});
