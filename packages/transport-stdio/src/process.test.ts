import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { JSONRPCErrorCode } from '@mcproxy/core';
import { eventually, isAlive, LineQueue, REGISTER_TS, SERVE_PROXY } from '../test/harness.js';

const spawned: ChildProcess[] = [];
const upstreamPids: number[] = [];

afterEach(() => {
  // If an assertion failed half-way, nothing we started may outlive the test.
  for (const child of spawned.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const pid of upstreamPids.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
});

/** Starts test/fixtures/serve-proxy.mjs: a real proxy process, run from source. */
function startProxy(mode: 'clean' | 'exit-now', upstreamFlags: string[] = []) {
  const child = spawn(process.execPath, ['--conditions=source', '--import', REGISTER_TS, SERVE_PROXY, mode, '--', ...upstreamFlags], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  spawned.push(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const send = (line: string): boolean => child.stdin.write(`${line}\n`);
  const upstreamPid = async (logs: LineQueue): Promise<number> => {
    const pid = (await logs.find((l) => l.msg === 'upstream process started')).pid as number;
    upstreamPids.push(pid);
    return pid;
  };
  return { child, out: new LineQueue(child.stdout), logs: new LineQueue(child.stderr), exited, send, upstreamPid };
}

describe('a real proxy process on stdio', () => {
  it('speaks only MCP on stdout, logs on stderr, and exits by itself when stdin ends', async () => {
    const p = startProxy('clean');
    p.send(JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } }));
    expect(await p.out.next()).toMatchObject({ id: 0, result: { serverInfo: { name: 'echo-fixture' } } });
    p.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'stderr', arguments: { text: 'from the child' } } }));
    expect(await p.out.next()).toMatchObject({ id: 1, result: {} });
    p.send('not json');
    expect(await p.out.next()).toMatchObject({ id: null, error: { code: JSONRPCErrorCode.ParseError } });
    expect(await p.logs.find((l) => l.stderr === 'from the child')).toMatchObject({ upstream: 'echo' });
    const pid = await p.upstreamPid(p.logs);

    p.child.stdin.end();
    // A handle left open (stdin flowing, a timer, the child) would keep it alive past the test's timeout.
    expect(await p.exited).toEqual({ code: 0, signal: null });
    expect(p.out.lines).toHaveLength(3);
    for (const line of p.out.lines) expect(line).toMatchObject({ jsonrpc: '2.0' });
    expect(isAlive(pid)).toBe(false);
  });

  it('SIGKILLs a child that ignores SIGTERM when the process exits without reaping', async () => {
    const p = startProxy('exit-now', ['--linger', '--ignore-sigterm']);
    p.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }));
    expect(await p.out.next()).toMatchObject({ id: 1, result: {} });
    const pid = await p.upstreamPid(p.logs);
    expect(isAlive(pid)).toBe(true);

    p.child.stdin.end();
    expect(await p.exited).toEqual({ code: 0, signal: null });
    // The orphan's death is announced to whoever adopted it, not to us.
    expect(await eventually(() => !isAlive(pid))).toBe(true);
  });
});
