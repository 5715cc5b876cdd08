import { describe, expect, it } from 'vitest';
import { payloadShower } from './payload.js';

describe('payloads in the live tail', () => {
  it('redacts with the logging paths before anything else, and cuts what is too long', () => {
    const show = payloadShower({ redact: ['params.arguments.password', 'result.content'], maxPayloadBytes: 200 });
    expect(show({ name: 'login', arguments: { user: 'ada', password: 'hunter2' } }, { result: { content: [{ type: 'text', text: 'secret' }] } })).toEqual({
      params: { name: 'login', arguments: { user: 'ada', password: '[redacted]' } },
      result: { content: '[redacted]' },
    });
    const long = show({ name: 'x', arguments: { password: 'hunter2', blob: 'y'.repeat(500) } }, { error: { code: -1, message: 'no' } }) as {
      cut: string;
      bytes: number;
    };
    expect(long.cut.length).toBeLessThanOrEqual(201);
    expect(long.bytes).toBeGreaterThan(500);
    expect(JSON.stringify(long)).not.toContain('hunter2');
  });
});
