import { logText, recordingLogger } from '@mcproxy/testing';
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { connectRedisStore, type RedisStore } from './index.js';
import { realRedis } from '../test/real-redis.js';

const real = realRedis();
const { teardown } = real;
let prefix = 0;

async function store(log = recordingLogger()): Promise<RedisStore> {
  const s = await connectRedisStore({ url: real.redis.url, keyPrefix: `e${prefix++}:`, log });
  teardown.add(() => s.close());
  return s;
}

const event = (i: number, text = `{"n":${i}}`) => ({ eventId: `e${i}`, streamId: 'st', text });

describe('shared events on Redis', () => {
  it('loads what was appended, oldest first, per session', async () => {
    const events = (await store()).events();
    for (let i = 0; i < 5; i++) await events.append('a', event(i));
    await events.append('b', event(99));
    expect(await events.load('a')).toEqual([0, 1, 2, 3, 4].map((i) => event(i)));
    expect(await events.load('b')).toEqual([event(99)]);
    expect(await events.load('none')).toEqual([]);
    await events.drop('a');
    expect(await events.load('a')).toEqual([]);
  });

  it('keeps at most maxEvents, dropping the oldest, also when appends race', async () => {
    const events = (await store()).events({ maxEvents: 10 });
    await Promise.all(Array.from({ length: 50 }, (_, i) => events.append('s', event(i))));
    const kept = await events.load('s');
    expect(kept.map((e) => e.eventId)).toEqual(Array.from({ length: 10 }, (_, i) => `e${40 + i}`));
  });

  it('keeps at most maxBytes of records, dropping the oldest; one record over the bound alone is not kept', async () => {
    const s = await store();
    const record = JSON.stringify({ v: 1, ...event(0, 'x'.repeat(100)) }).length;
    const events = s.events({ maxBytes: record * 3 });
    for (let i = 0; i < 7; i++) await events.append('s', event(i, 'x'.repeat(100)));
    expect((await events.load('s')).map((e) => e.eventId)).toEqual(['e4', 'e5', 'e6']);
    await events.append('s', event(7, 'y'.repeat(record * 3)));
    expect(await events.load('s')).toEqual([]);
    await events.append('s', event(8, 'x'.repeat(100)));
    expect((await events.load('s')).map((e) => e.eventId)).toEqual(['e8']);
  });

  it('expires a session’s events ttlMs after its last append', async () => {
    const events = (await store()).events({ ttlMs: 200 });
    await events.append('s', event(1));
    await new Promise((r) => setTimeout(r, 120));
    await events.append('s', event(2));
    await new Promise((r) => setTimeout(r, 120));
    expect(await events.load('s')).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 150));
    expect(await events.load('s')).toEqual([]);
  });

  it('skips records that do not parse, with a warning naming the key', async () => {
    const log = recordingLogger();
    const s = await store(log);
    const events = s.events();
    await events.append('s', event(1));
    const c = createClient({ url: real.redis.url });
    c.on('error', () => undefined);
    await c.connect();
    teardown.add(() => c.close());
    const key = `e${prefix - 1}:events:s`;
    await c.rPush(key, ['not json', JSON.stringify({ v: 7, eventId: 'x', streamId: 'y', text: '{}' })]);
    await c.set(`e${prefix - 1}:events:t`, 'a string, not a list');
    await events.append('s', event(2));
    expect(await events.load('s')).toEqual([event(1), event(2)]);
    expect(await events.load('t')).toEqual([]);
    expect(logText(log.lines)).toContain(key);
  });
});
