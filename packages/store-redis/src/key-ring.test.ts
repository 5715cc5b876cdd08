import { recordingLogger, until } from '@mcproxy/testing';
import { Seal } from '@mcproxy/core';
import { describe, expect, it } from 'vitest';
import { connectRedisStore } from './index.js';
import { realRedis } from '../test/real-redis.js';

const real = realRedis();
const { teardown } = real;
let prefix = 0;

async function ring(keyPrefix: string, rotateMs: number) {
  const store = await connectRedisStore({ url: real.redis.url, keyPrefix, log: recordingLogger() });
  teardown.add(() => store.close());
  const keys = await store.keyRing({ rotateMs, refreshMs: 100 });
  teardown.add(async () => keys.stop());
  return keys;
}

describe('the shared key ring', () => {
  it('signs alike on every replica, and after a rotation still opens what the previous key signed, until the rotation after', async () => {
    const p = `ring${prefix++}:`;
    const [a, b] = [await ring(p, 1500), await ring(p, 1500)];
    const sealA = new Seal({ ring: a, purpose: 'parked' });
    const sealB = new Seal({ ring: b, purpose: 'parked' });
    const first = sealA.seal({ call: 1 });
    expect(sealB.open(first)).toEqual({ payload: { call: 1 } });
    // Another purpose's key never opens it.
    expect(new Seal({ ring: b, purpose: 'task ids' }).open(first)).toEqual({ failure: 'verification' });
    const before = Buffer.from(a.key('parked')).toString('hex');
    await until(() => Buffer.from(a.key('parked')).toString('hex') !== before && Buffer.from(b.key('parked')).toString('hex') !== before, 'a rotation', 4000);
    expect(Buffer.from(a.key('parked'))).toEqual(Buffer.from(b.key('parked')));
    const second = sealB.seal({ call: 2 });
    expect(sealA.open(second)).toEqual({ payload: { call: 2 } });
    expect(sealA.open(first)).toEqual({ payload: { call: 1 } });
    const middle = Buffer.from(a.key('parked')).toString('hex');
    await until(
      () => Buffer.from(a.key('parked')).toString('hex') !== middle && Buffer.from(b.key('parked')).toString('hex') !== middle,
      'a second rotation',
      4000,
    );
    expect(sealB.open(first)).toEqual({ failure: 'verification' });
    expect(sealB.open(second)).toEqual({ payload: { call: 2 } });
  });

  it('is put back as it was when the store comes back empty, so nothing sealed before is lost', async () => {
    const p = `ring${prefix++}:`;
    const a = await ring(p, 60_000);
    const token = new Seal({ ring: a, purpose: 'x' }).seal({ n: 1 });
    await real.redis.restart();
    // A replica that starts now finds the store empty and makes a ring of its own; the older one's comes back first in it.
    const b = await ring(p, 60_000);
    const fresh = new Seal({ ring: b, purpose: 'x' }).seal({ n: 2 });
    await until(() => 'payload' in new Seal({ ring: b, purpose: 'x' }).open(token), 'the ring put back', 8000);
    expect(new Seal({ ring: a, purpose: 'x' }).open(fresh)).toEqual({ payload: { n: 2 } });
    expect(new Seal({ ring: b, purpose: 'x' }).open(fresh)).toEqual({ payload: { n: 2 } });
  });
});
