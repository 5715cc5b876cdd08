import type { ChildProcess } from 'node:child_process';
import process from 'node:process';

/**
 * Every upstream child still running, with the grace it was given. This is
 * process-wide on purpose: children belong to the OS process, not to any one
 * proxy, and whatever happens to the proxies they must not outlive us.
 */
const live = new Map<ChildProcess, number>();
const stopping = new WeakMap<ChildProcess, Promise<void>>();
let exitHookInstalled = false;

/** The default grace a child gets after its stdin closes, and again after SIGTERM. */
export const DEFAULT_GRACE_MS = 2_000;

const hasExited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

/** Remembers a freshly spawned child until it exits. */
export function track(child: ChildProcess, graceMs: number): void {
  if (hasExited(child)) return;
  live.set(child, graceMs);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // 'exit' handlers must be synchronous: no time for a grace, so SIGKILL.
    // This is the safety net for an exit that skipped `reapChildren`.
    process.on('exit', killAllNow);
  }
}

function killAllNow(): void {
  for (const child of live.keys()) {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone: nothing to do.
    }
  }
}

/** Resolves to true when `child` exits within `ms`, false when time runs out first. */
function exitWithin(child: ChildProcess, ms: number): Promise<boolean> {
  if (hasExited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/**
 * Stops a child the way the MCP stdio transport asks: close its stdin, give
 * it `graceMs` to exit, then SIGTERM, then after another `graceMs` SIGKILL.
 * Resolves once it has exited. Calling it again joins the first call.
 */
export function terminate(child: ChildProcess, graceMs: number): Promise<void> {
  const already = stopping.get(child);
  if (already !== undefined) return already;
  const done = (async () => {
    // The stream may already be broken (the child died): its error is not news.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end();
    if (await exitWithin(child, graceMs)) return;
    child.kill('SIGTERM');
    if (await exitWithin(child, graceMs)) return;
    child.kill('SIGKILL');
    // SIGKILL cannot be ignored; waiting keeps "resolved" meaning "gone".
    await exitWithin(child, 60_000);
  })();
  stopping.set(child, done);
  return done;
}

/**
 * Stops every upstream child this process spawned and still runs, each with
 * its own grace, and resolves once all have exited. Call it from the CLI's
 * SIGINT/SIGTERM handler before exiting; a synchronous `process.on('exit')`
 * hook SIGKILLs whatever is left if the process exits without it.
 *
 * @example
 * process.once('SIGTERM', async () => { await proxy.close(); await reapChildren(); process.exit(0); });
 */
export async function reapChildren(): Promise<void> {
  await Promise.all([...live].map(([child, graceMs]) => terminate(child, graceMs)));
}

/** How many upstream children are running: for tests and diagnostics. */
export function liveChildren(): number {
  return live.size;
}
