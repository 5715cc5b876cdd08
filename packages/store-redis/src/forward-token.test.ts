import { describe, expect, it } from 'vitest';
import { FORWARD_TOKEN_MS, forwardTokens } from './forward-token.js';

const secret = 'ab'.repeat(32);

describe('forward tokens', () => {
  it('are good for 30 s, and not from further ahead than a clock may run', () => {
    let now = 1_700_000_000_000;
    const t = forwardTokens(secret, () => now);
    const token = t.forwardToken('s');
    now += FORWARD_TOKEN_MS;
    expect(t.verifyForward('s', token)).toBe(true);
    now += 1;
    expect(t.verifyForward('s', token)).toBe(false);
    now -= FORWARD_TOKEN_MS + 1 + 5000;
    expect(t.verifyForward('s', token)).toBe(true);
    now -= 1;
    expect(t.verifyForward('s', token)).toBe(false);
  });

  it('differ by secret and by session', () => {
    const a = forwardTokens(secret, () => 5);
    const b = forwardTokens('cd'.repeat(32), () => 5);
    expect(a.forwardToken('s')).not.toBe(b.forwardToken('s'));
    expect(a.forwardToken('s')).not.toBe(a.forwardToken('t'));
    expect(b.verifyForward('s', a.forwardToken('s'))).toBe(false);
  });
});
