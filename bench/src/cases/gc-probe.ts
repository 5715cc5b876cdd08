// Preloaded (node --expose-gc --import) into the mcproxy process of the
// memory case, and nowhere else: on SIGUSR2 it runs a full garbage
// collection and writes process.memoryUsage() to $BENCH_MEMORY_FILE, so
// that what is measured after sessions close is what is still referenced,
// not what the collector has not got round to yet.
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_MEMORY_FILE;
const gc = (globalThis as { gc?: () => void }).gc;
let seq = 0;
if (file !== undefined && gc !== undefined) {
  process.on('SIGUSR2', () => {
    gc();
    gc();
    seq++;
    writeFileSync(file, JSON.stringify({ seq, ...process.memoryUsage() }));
  });
}
