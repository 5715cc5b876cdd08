import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { callSettled, closeClients, mcpClient } from '../kit/clients.js';
import { HOSTILE_HTTP, hostileStdio, isAlive, sleep, startProxy, stopAll } from '../kit/proxy-process.js';

const upstreamProcesses: ChildProcess[] = [];

afterEach(async () => {
  await closeClients();
  await stopAll();
  for (const p of upstreamProcesses.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

/** Runs the hostile HTTP upstream as its own process (so it can be kill -9'd) and resolves with its URL. */
async function hostileHttpProcess(port = 0): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [HOSTILE_HTTP, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  upstreamProcesses.push(child);
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`hostile HTTP upstream exited ${code}`)));
  });
  return { child, url: (JSON.parse(line) as { url: string }).url };
}

describe('fault: kill -9 of an upstream mid-call', () => {
  for (const sessionMode of ['shared', 'per-session'] as const) {
    it(`${sessionMode} stdio: the call in flight is answered -32000 naming the upstream, and the next call works on a new child`, async () => {
      const proxy = await startProxy({ serve: { http: { port: 0 } }, upstreams: { victim: hostileStdio({ sessionMode }) } });
      const client = await mcpClient(proxy.url!);
      const before = await callSettled(client, 'pid');
      const pid = Number(before.text);
      expect(pid).toBeGreaterThan(0);
      const inFlight = callSettled(client, 'slow', { ms: 30_000 }, 25_000);
      await sleep(300);
      process.kill(pid, 'SIGKILL');
      const outcome = await inFlight;
      expect(outcome.hung).toBeUndefined();
      expect(outcome.error?.code, JSON.stringify(outcome)).toBe(-32000);
      expect(outcome.error?.message).toContain('victim');
      const after = await callSettled(client, 'pid');
      expect(after.error, JSON.stringify(after)).toBeUndefined();
      expect(Number(after.text)).not.toBe(pid);
      expect(isAlive(Number(after.text))).toBe(true);
      expect(proxy.alive()).toBe(true);
    });
  }

  it('HTTP upstream: the call in flight is answered, and the first call after the upstream restarts succeeds (finding 7)', async () => {
    const first = await hostileHttpProcess();
    const port = Number(new URL(first.url).port);
    const proxy = await startProxy({ serve: { http: { port: 0 } }, upstreams: { remote: { url: first.url, transport: 'streamable-http' } } });
    const client = await mcpClient(proxy.url!);
    expect((await callSettled(client, 'echo', { text: 'before' })).text).toBe('before');
    const inFlight = callSettled(client, 'slow', { ms: 30_000 }, 25_000);
    await sleep(300);
    first.child.kill('SIGKILL');
    const outcome = await inFlight;
    expect(outcome.hung).toBeUndefined();
    expect(outcome.error, JSON.stringify(outcome)).toBeDefined();
    expect(outcome.error?.message).toContain('remote');
    // The same port, a new process: it knows none of the old sessions (404 for them).
    await hostileHttpProcess(port);
    const after = await callSettled(client, 'echo', { text: 'after' });
    expect(after, 'the first call after the restart').toEqual({ text: 'after' });
    expect(proxy.alive()).toBe(true);
  });
});
