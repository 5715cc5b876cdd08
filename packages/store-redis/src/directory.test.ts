import type { Message } from '@mcproxy/core';
import { logText, recordingLogger, until } from '@mcproxy/testing';
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { connectRedisStore, type RedisStore } from './index.js';
import { realRedis } from '../test/real-redis.js';

const initialize: Message = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: { roots: {} }, clientInfo: { name: 't', version: '1' } },
};
const principal = { id: 'alice', kind: 'jwt' as const, scopes: ['read'], claims: { sub: 'alice', tags: [] } };

const real = realRedis();
const { teardown } = real;
let prefix = 0;

/** A store as one replica has it, under a key prefix of this test's own. */
async function store(keyPrefix: string, log = recordingLogger()): Promise<RedisStore> {
  const s = await connectRedisStore({ url: real.redis.url, keyPrefix, log });
  teardown.add(() => s.close());
  return s;
}

async function raw(): Promise<{ set(key: string, value: string): Promise<unknown>; rpush(key: string, value: string): Promise<unknown> }> {
  const c = createClient({ url: real.redis.url });
  c.on('error', () => undefined);
  await c.connect();
  teardown.add(() => c.close());
  return { set: (k, v) => c.set(k, v), rpush: (k, v) => c.rPush(k, v) };
}

describe('the session directory on Redis', () => {
  it('names every other live replica under its own prefix, even one whose prefix has glob characters', async () => {
    const p = `t${prefix++}*[x]:`;
    const other = `t${prefix++}:`;
    const [a, b, c, d] = [await store(p), await store(p), await store(p), await store(other)];
    const dirs = [
      await a.directory({ id: 'a', url: 'http://a:8080' }, { leaseMs: 300 }),
      await b.directory({ id: 'b', url: 'http://b:8080' }, { leaseMs: 300 }),
      await c.directory({ id: 'c', url: 'http://c:8080' }, { leaseMs: 300 }),
      await d.directory({ id: 'd', url: 'http://d:8080' }, { leaseMs: 300 }),
    ];
    for (const dir of dirs) teardown.add(() => dir.stop());
    const names = async () => (await dirs[0]!.others()).map((r) => `${r.id}=${r.url}`).sort();
    expect(await names()).toEqual(['b=http://b:8080', 'c=http://c:8080']);
    await dirs[2]!.stop();
    expect(await names()).toEqual(['b=http://b:8080']);
  });

  it('holds entries, and a dead replica’s lease lapses after leaseMs', async () => {
    const p = `t${prefix++}:`;
    const [a, b] = [await store(p), await store(p)];
    const dirA = await a.directory({ id: 'a', url: 'http://a:8080' }, { leaseMs: 300 });
    const dirB = await b.directory({ id: 'b', url: 'http://b:8080' }, { leaseMs: 300 });
    teardown.add(() => dirB.stop());
    teardown.add(() => dirA.stop());
    await dirA.open({ id: 's1', owner: 'ignored', principal, initialize });
    expect(await dirB.lookup('s1')).toEqual({ id: 's1', owner: 'a', principal, initialize });
    expect(await dirB.replica('a')).toEqual({ id: 'a', url: 'http://a:8080' });
    // Renewed every leaseMs/3: still there well past one lease.
    await new Promise((r) => setTimeout(r, 700));
    expect(await dirB.replica('a')).toEqual({ id: 'a', url: 'http://a:8080' });
    // A crash: the timer stops, nobody deletes the lease.
    await a.close();
    const died = Date.now();
    await until(async () => (await dirB.replica('a')) === undefined, 'the lease to lapse', 2000);
    expect(Date.now() - died).toBeLessThanOrEqual(450);
    expect(await dirB.claim('s1', 'a')).toBe(true);
    expect((await dirB.lookup('s1'))?.owner).toBe('b');
  });

  it('stop deletes the lease at once', async () => {
    const p = `t${prefix++}:`;
    const s = await store(p);
    const dir = await s.directory({ id: 'a', url: 'http://a' }, { leaseMs: 60_000 });
    await dir.stop();
    expect(await dir.replica('a')).toBeUndefined();
  });

  it('lets exactly one of two simultaneous claims win', async () => {
    const p = `t${prefix++}:`;
    const a = await (await store(p)).directory({ id: 'a', url: 'http://a' });
    const b = await (await store(p)).directory({ id: 'b', url: 'http://b' });
    const c = await (await store(p)).directory({ id: 'c', url: 'http://c' });
    for (const d of [a, b, c]) teardown.add(() => d.stop());
    for (let i = 0; i < 20; i++) await a.open({ id: `s${i}`, owner: 'a', initialize });
    for (let i = 0; i < 20; i++) {
      const won = await Promise.all([b.claim(`s${i}`, 'a'), c.claim(`s${i}`, 'a')]);
      expect(won.filter(Boolean)).toHaveLength(1);
      expect((await a.lookup(`s${i}`))?.owner).toBe(won[0] ? 'b' : 'c');
    }
    // From an owner that is no longer the owner: refused.
    expect(await b.claim('s0', 'a')).toBe(false);
    expect(await b.claim('nobody', 'a')).toBe(false);
  });

  it('release lets any replica claim the session; only the owner’s release counts', async () => {
    const p = `t${prefix++}:`;
    const a = await (await store(p)).directory({ id: 'a', url: 'http://a' });
    const b = await (await store(p)).directory({ id: 'b', url: 'http://b' });
    for (const d of [a, b]) teardown.add(() => d.stop());
    await a.open({ id: 's', owner: 'a', initialize });
    await b.release('s');
    expect((await a.lookup('s'))?.owner).toBe('a');
    await a.release('s');
    expect((await b.lookup('s'))?.owner).toBe('');
    expect(await b.claim('s', 'a')).toBe(false);
    expect(await b.claim('s', '')).toBe(true);
    expect(await b.lookup('s')).toEqual({ id: 's', owner: 'b', initialize });
    await b.touch('s');
    await b.close('s');
    expect(await a.lookup('s')).toBeUndefined();
  });

  it('touch keeps a live session and its events (at most once per tenth of the TTL); close deletes both', async () => {
    const p = `t${prefix++}:`;
    const operations: string[] = [];
    const s = await connectRedisStore({ url: real.redis.url, keyPrefix: p, onOperation: (op) => operations.push(op) });
    teardown.add(() => s.close());
    const dir = await s.directory({ id: 'a', url: 'http://a' }, { sessionTtlMs: 1000 });
    teardown.add(() => dir.stop());
    const events = s.events({ ttlMs: 1000 });
    await dir.open({ id: 's', owner: 'a', initialize });
    await events.append('s', { eventId: '1', streamId: 'x', text: '{}' });
    await dir.open({ id: 'idle', owner: 'a', initialize });
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 120));
      await dir.touch('s');
      await dir.touch('s');
    }
    await new Promise((r) => setTimeout(r, 500));
    // 1.2 s after it was opened: the touched session lives, the idle one expired.
    expect(await dir.lookup('s')).toBeDefined();
    expect(await events.load('s')).toHaveLength(1);
    expect(await dir.lookup('idle')).toBeUndefined();
    expect(operations.filter((op) => op === 'touch')).toHaveLength(6);
    await dir.close('s');
    expect(await dir.lookup('s')).toBeUndefined();
    expect(await events.load('s')).toEqual([]);
  });

  it('reads another program’s data (or another version’s) as absent, logging the key and not the contents', async () => {
    const p = `t${prefix++}:`;
    const log = recordingLogger();
    const dir = await (await store(p, log)).directory({ id: 'a', url: 'http://a' });
    teardown.add(() => dir.stop());
    const r = await raw();
    await r.set(`${p}session:json`, JSON.stringify({ user: 'x', secretValue: 'hunter2' }));
    await r.set(`${p}session:text`, 'not json at all hunter2');
    await r.set(`${p}session:v2`, JSON.stringify({ v: 2, id: 'v2', owner: 'a', initialize }));
    await r.set(`${p}session:other-id`, JSON.stringify({ v: 1, id: 'someone-else', owner: 'a', initialize }));
    await r.set(`${p}session:bad-principal`, JSON.stringify({ v: 1, id: 'bad-principal', owner: 'a', principal: { id: 1 }, initialize }));
    await r.rpush(`${p}session:list`, 'hunter2');
    await r.set(`${p}replica:z`, '{"url":42}');
    for (const id of ['json', 'text', 'v2', 'other-id', 'bad-principal', 'list']) {
      expect(await dir.lookup(id)).toBeUndefined();
      expect(await dir.claim(id, 'a')).toBe(false);
    }
    expect(await dir.replica('z')).toBeUndefined();
    const text = logText(log.lines);
    expect(text).toContain(`${p}session:json`);
    expect(text).toContain(`${p}session:list`);
    expect(text).not.toContain('hunter2');
  });

  it('says which replica holds a parked call, until ttlMs pass', async () => {
    const p = `t${prefix++}:`;
    const a = await (await store(p)).directory({ id: 'a', url: 'http://a' });
    const b = await (await store(p)).directory({ id: 'b', url: 'http://b' });
    for (const d of [a, b]) teardown.add(() => d.stop());
    await a.holdState('h1', 200);
    expect(await b.stateHolder('h1')).toBe('a');
    expect(await b.stateHolder('h2')).toBeUndefined();
    await (await raw()).set(`${p}state:h3`, 'b');
    expect(await b.stateHolder('h3')).toBeUndefined();
    await until(async () => (await b.stateHolder('h1')) === undefined, 'the holder to expire', 1000);
  });

  it('proves forwards with a token every replica verifies for 30 s, bound to its session', async () => {
    const p = `t${prefix++}:`;
    const a = await (await store(p)).directory({ id: 'a', url: 'http://a' });
    const b = await (await store(p)).directory({ id: 'b', url: 'http://b' });
    const other = await (await store(`t${prefix++}:`)).directory({ id: 'x', url: 'http://x' });
    for (const d of [a, b, other]) teardown.add(() => d.stop());
    const token = a.forwardToken('s1');
    expect(token).toMatch(/^\d+\.[A-Za-z0-9_-]{43}$/);
    expect(b.verifyForward('s1', token)).toBe(true);
    expect(b.verifyForward('s2', token)).toBe(false);
    // Another deployment's secret (another prefix): refused.
    expect(b.verifyForward('s1', other.forwardToken('s1'))).toBe(false);
    const [ts, mac] = token.split('.') as [string, string];
    // Forged: a changed time, a changed or truncated MAC, garbage.
    expect(b.verifyForward('s1', `${Number(ts) + 1}.${mac}`)).toBe(false);
    expect(b.verifyForward('s1', `${ts}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`)).toBe(false);
    expect(b.verifyForward('s1', `${ts}.${mac.slice(0, -2)}`)).toBe(false);
    expect(b.verifyForward('s1', `${ts}.${mac}=`)).toBe(false);
    for (const junk of ['', '.', 'abc', `${ts}`, `.${mac}`, `-1.${mac}`]) expect(b.verifyForward('s1', junk)).toBe(false);
  });
});
