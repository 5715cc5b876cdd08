import { describe, expect, it } from 'vitest';
import { silentLogger } from '../wire/logger.js';
import { resolveSupervision, Supervisor } from './supervisor.js';

const waits = (random: number, failures: number): number[] => {
  const s = new Supervisor('up', resolveSupervision({ initialDelayMs: 100, maxDelayMs: 1000 }), silentLogger, () => random);
  const out: number[] = [];
  for (let i = 0; i < failures; i++) {
    s.fail({ reason: 'x' }, 0);
    out.push(s.health(0).retryAt ?? 0);
  }
  return out;
};

describe('Supervisor', () => {
  it('retries the first failure at once, then doubles the wait up to the cap', () => {
    expect(waits(1, 7)).toEqual([0, 100, 200, 400, 800, 1000, 1000]);
  });

  it('scales each wait by a random 50-100 % (jitter)', () => {
    expect(waits(0, 4)).toEqual([0, 50, 100, 200]);
  });

  it('fails fast while backing off, and lets a try through once the wait is over', () => {
    const s = new Supervisor('up', resolveSupervision({ initialDelayMs: 100 }), silentLogger, () => 1);
    s.fail({ reason: 'it exited with code 1', data: { exitCode: 1 } }, 0);
    s.fail({ reason: 'it exited with code 1', data: { exitCode: 1 } }, 0);
    expect(() => s.check(50)).toThrow(expect.objectContaining({ code: -32011 }) as Error);
    expect(() => s.check(50)).toThrow(/it exited with code 1; it is tried again in 50 ms/);
    expect(() => s.check(100)).not.toThrow();
  });

  it("names the upstream once, also when the transport's reason names it too", () => {
    const s = new Supervisor('fx', resolveSupervision({ initialDelayMs: 100 }), silentLogger, () => 1);
    s.fail({ reason: 'upstream "fx" exited with code 3' }, 0);
    s.fail({ reason: 'upstream "fx" exited with code 3' }, 0);
    expect(() => s.check(0)).toThrow('upstream "fx" is unavailable: exited with code 3; it is tried again in 100 ms');
  });

  it('starts counting again after a link that stayed up stableMs', () => {
    const s = new Supervisor('up', resolveSupervision({ initialDelayMs: 100, stableMs: 0 }), silentLogger, () => 1);
    s.fail({ reason: 'x' });
    s.fail({ reason: 'x' });
    const closed = s.opened();
    closed({ reason: 'it exited' }, false);
    expect(s.health().failures).toBe(1);
    expect(s.health().state).not.toBe('backing-off');
  });

  it('counts nothing for a link the proxy closed itself', () => {
    const s = new Supervisor('up', resolveSupervision(), silentLogger);
    s.opened()(undefined, true);
    expect(s.health()).toMatchObject({ failures: 0, restarts: 0, state: 'idle' });
  });

  it('refuses a cap below the first wait', () => {
    expect(() => resolveSupervision({ initialDelayMs: 5000, maxDelayMs: 10 })).toThrow(/maxDelayMs/);
  });
});
