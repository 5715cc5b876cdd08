import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/** V8's `gc()`, exposed on first use rather than on import, so only tests that measure memory change the flags. */
function collector(): () => void {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  return gc;
}

/**
 * Bytes held in the JS heap and outside it (buffers: what a queued stream
 * holds), measured after a real collection, so the figure is what is held
 * and not garbage not yet collected. For tests that bound what a slow or
 * hostile peer can make the process keep.
 *
 * @example
 * const before = heldMemory();
 * await flood();
 * expect(heldMemory() - before).toBeLessThan(100 * 1024 * 1024);
 */
export function heldMemory(): number {
  collector()();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}
