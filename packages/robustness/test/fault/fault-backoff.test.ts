import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StdioFace } from '../kit/clients.js';
import { hostileStdio, sleep, spawnsIn, startProxy, stopAll } from '../kit/proxy-process.js';

afterEach(stopAll);

/**
 * With backoff starting at 500 ms and doubling, 40 calls over about 4 s
 * allow roughly six tries; without it every call spawns a child.
 */
const MAX_SPAWNS = 10;
const CALLS = 40;

describe('fault: an upstream that keeps crashing is backed off (finding 6)', () => {
  for (const mode of ['crash-at-start', 'crash-after-init'] as const) {
    it(`${mode}: a bounded number of spawns, every call answered, and -32011 naming the upstream while backed off`, async () => {
      const proxy = await startProxy(
        (dir) => ({
          serve: { stdio: true },
          upstreams: { crashy: hostileStdio({ mode, spawnLog: join(dir, 'spawns.log') }) },
        }),
        { stdio: true },
      );
      const face = new StdioFace(proxy.child);
      const answers: Array<Record<string, unknown>> = [];
      answers.push(await face.request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'f', version: '1' } }));
      face.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
      for (let i = 0; i < CALLS; i++) {
        answers.push(await face.request('tools/call', { name: 'echo', arguments: { text: 'x' } }, 20_000));
        await sleep(100);
      }
      const errors = answers.map((a) => a.error as { code: number; message: string } | undefined);
      const spawns = spawnsIn(join(proxy.dir, 'spawns.log')).length;
      expect(spawns, `${spawns} spawns for ${CALLS + 1} requests`).toBeLessThanOrEqual(MAX_SPAWNS);
      expect(spawns).toBeGreaterThanOrEqual(1);
      // Every call was answered (face.request rejects after 20 s). A child that dies 20 ms
      // after initialize may still answer a call that reaches it in those 20 ms; one that
      // dies at start can answer none.
      if (mode === 'crash-at-start') for (const e of errors) expect(e, 'a call to a crashing upstream is an error').toBeDefined();
      expect(
        errors.slice(1).some((e) => e?.code === -32011 && e.message.includes('crashy')),
        JSON.stringify(errors.slice(-3)),
      ).toBe(true);
      expect(proxy.alive()).toBe(true);
    });
  }
});
