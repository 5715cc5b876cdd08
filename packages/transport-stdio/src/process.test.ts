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

/**
 * Starts test/fixtures/serve-proxy.mjs: a real proxy process, run from
 * source (workspace packages too, through their `@mcproxy/source` export).
 * With `readStdout: false` nothing reads its stdout until `out()` is called.
 */
function startProxy(mode: 'clean' | 'exit-now', upstreamFlags: string[] = [], { readStdout = true } = {}) {
  const child = spawn(process.execPath, ['--expose-gc', '--conditions=@mcproxy/source', '--import', REGISTER_TS, SERVE_PROXY, mode, '--', ...upstreamFlags], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  spawned.push(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const send = (line: string): boolean => child.stdin.write(`${line}\n`);
  const upstreamPid = async (logs: LineQueue): Promise<number> => {
    const pid = (await logs.find((l) => l.msg === 'upstream process started')).childPid as number;
    upstreamPids.push(pid);
    return pid;
  };
  let out = readStdout ? new LineQueue(child.stdout) : undefined;
  const reader = (): LineQueue => (out ??= new LineQueue(child.stdout));
  return {
    child,
    get out() {
      return reader();
    },
    logs: new LineQueue(child.stderr),
    exited,
    send,
    upstreamPid,
  };
}

// Each test starts node processes that transpile the workspace's TypeScript as they load: slow on a
// loaded machine, so the bound is generous; it only catches a process that never exits.
describe('a real proxy process on stdio', () => {
  it('speaks only MCP on stdout, logs on stderr, and exits by itself when stdin ends', async () => {
    const p = startProxy('clean');
    p.send(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
      }),
    );
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
  }, 60_000);

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
  }, 60_000);
});

describe('a real proxy process whose client stops reading', () => {
  it('stays bounded in memory while an upstream floods it with notifications, and still sends the answer', async () => {
    const p = startProxy('clean', [], { readStdout: false });
    let reports = 0;
    /** Live memory of the proxy process, after a full GC (it runs with --expose-gc). */
    const memory = async (): Promise<Record<string, number>> => {
      const nth = reports++;
      p.child.kill('SIGUSR2');
      let seen = 0;
      return (await p.logs.find((l) => l.msg === 'memory' && seen++ === nth)) as Record<string, number>;
    };
    // The first call starts the upstream; its small answer fits in the pipe.
    p.send(JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x' } } }));
    await p.logs.find((l) => l.stderr === 'echo fixture ready');
    const before = await memory();
    // 100 MiB of log notifications while a call is open; stdout is never read meanwhile.
    const count = 10_000;
    const bytes = 10 * 1024;
    p.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'flood', arguments: { count, bytes } } }));
    // The upstream says so once its stdout has taken every line: the proxy has read them all.
    await p.logs.find((l) => l.stderr === 'flooded');
    const after = await memory();
    // Without the guard (measured): 103 MB queued on stdout, heap 263 MB, rss +300 MB.
    // With it: 8.4 MB queued, heap 27 MB, rss +76 MB (a heap grown by the churn, not held).
    expect(after.stdoutQueued).toBeLessThanOrEqual(8 * 1024 * 1024 + 2 * bytes);
    expect(after.heapUsed! + after.external!).toBeLessThan(64 * 1024 * 1024);
    // RSS also keeps pages the collector freed, and how many depends on the machine's load: +76 MB on a
    // quiet machine, +120 MB once under CI's parallel builds. The queue and heap checks above tell held
    // memory; this one only catches a flood kept whole (+300 MB without the guard).
    expect(after.rss! - before.rss!).toBeLessThan(2 * count * bytes);
    expect(await p.logs.find((l) => l.limit === 'slowReaderBytes')).toMatchObject({ dropped: 'notifications/message' });

    // The answer was not dropped: it is there once the client reads again.
    expect(await p.out.find((l) => l.id === 1)).toMatchObject({ result: { content: [{ text: 'flood done' }] } });
    p.child.stdin.end();
    expect(await p.exited).toEqual({ code: 0, signal: null });
  }, 60_000);
});
